/** The reference server's version, shown by /ping (a module of its own so http/ needs no node.ts). */
export const VERSION = '0.1.0';
