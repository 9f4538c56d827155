// The witness of disk_full and disk_free: a page written into the node's data dir, which on
// the process driver is a local directory (a container driver would write inside it).
import type { NodeInfo } from '../drivers/driver.js';
import type { DiskWitness } from '../drivers/process/disk.js';
import type { Witnessed } from './fault.js';

export async function witnessDisk(n: NodeInfo, probe: (dir: string) => DiskWitness): Promise<Witnessed> {
  if (!n.dataDir) return { confirmed: false, reason: `node ${n.id} has no data dir the runner can see` };
  const r = probe(n.dataDir);
  return r.ok ? { confirmed: true, evidence: r.message } : { confirmed: false, reason: r.message };
}
