// disk_free: gives a node's data dir its room back after disk_full; disk_full undoes it.
// Witnessed: a page written to a new file in the data dir succeeds.
import { diskFreeWitness } from '../drivers/process/disk.js';
import { nodeFault } from './node-fault.js';
import { witnessDisk } from './disk-witness.js';

export const disk_free = nodeFault({
  name: 'disk_free',
  summary: "Gives a node's data dir its room back after disk_full.",
  eligible: ['running'],
  needs: 'disk',
  inject: (d, n) => d.freeDisk!(n),
  undo: (d, n) => d.fillDisk!(n),
  witness: (n, w) => witnessDisk(n, diskFreeWitness, w.driver, 'free'),
});
