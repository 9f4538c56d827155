// The witness of disk_full and disk_free: a page written into the node's data dir, which on
// the process driver is a local directory; a container driver writes inside the container.
import type { Driver, NodeInfo } from '../drivers/driver.js';
import { judgeProbe, type DiskWitness } from '../drivers/process/disk.js';
import type { Witnessed } from './fault.js';

export async function witnessDisk(n: NodeInfo, probe: (dir: string) => DiskWitness, driver?: Driver, expect?: 'full' | 'free'): Promise<Witnessed> {
  if (driver?.probeDisk && expect) {
    const r = judgeProbe(await driver.probeDisk(n.id), `node ${n.id}'s data dir (inside its container)`, expect);
    return r.ok ? { confirmed: true, evidence: r.message } : { confirmed: false, reason: r.message };
  }
  if (!n.dataDir) return { confirmed: false, reason: `node ${n.id} has no data dir the runner can see` };
  const r = probe(n.dataDir);
  return r.ok ? { confirmed: true, evidence: r.message } : { confirmed: false, reason: r.message };
}
