// The fault proxy (Toxiproxy's model on node:net): every directed node-to-node link is a TCP
// listener the runner owns, which can cut, slow, throttle or reset that link at run time and
// prove it did. Each concept lives in its own file; this is the one import for users.
export { LinkProxy, type CutMode, type LinkProxyOptions, type LinkState } from './link-proxy.js';
export { ProxySet, linkName, type LinkRef } from './proxy-set.js';
export { probeLink, timedRoundTrip, type Dialable, type ProbeResult } from './link-witness.js';
export type { Direction, DirectionShape, ShapeSpec } from './link-shape.js';
export type { Upstream } from './proxied-connection.js';
