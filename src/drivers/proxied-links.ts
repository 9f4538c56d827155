// What every driver that routes node-to-node traffic through the runner's fault proxies
// (process, docker) answers the same way: the flags that point a node at its links, and
// whether a link can be faulted at all.

import { CLIENT } from './driver.js';
import { linkName, type LinkRef, type ProxySet } from '../net/fault-proxy.js';

/** The start flags routing `id`'s calls to every other node through its links. */
export function peerUrlArgs(proxies: ProxySet, id: string): string[] {
  return proxies.all().filter((l) => l.from === id).flatMap((l) => ['--peer-url', `${l.to}=${l.url}`]);
}

/** Why `link` cannot be faulted, or undefined when it can. */
export function missingLink(proxies: ProxySet, link: LinkRef): string | undefined {
  if (link.from === link.to) return `link ${linkName(link)} joins a node to itself`;
  if (link.to === CLIENT) return undefined; // answers to the runner ride on client->x: nothing separate to cut
  try {
    proxies.link(link);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Links whose traffic crosses a proxy ('x->client' has none: it is the answer half of client->x). */
export function routedLinks(links: LinkRef[]): LinkRef[] {
  return links.filter((l) => l.to !== CLIENT);
}
