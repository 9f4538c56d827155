// disk_full: the node's data dir runs out of space (on the process driver: its tmpfs is
// filled, the node's own files untouched); disk_free undoes it. Witnessed: a page written to
// a new file in the data dir fails with ENOSPC.
import { diskFullWitness } from '../drivers/process/disk.js';
import { nodeFault } from './node-fault.js';
import { witnessDisk } from './disk-witness.js';

export const disk_full = nodeFault({
  name: 'disk_full',
  summary: "The node's data dir runs out of space (needs the disk capability: root on the process driver).",
  eligible: ['running'],
  needs: 'disk',
  inject: (d, n) => d.fillDisk!(n),
  undo: (d, n) => d.freeDisk!(n),
  witness: (n, w) => witnessDisk(n, diskFullWitness, w.driver, 'full'),
});
