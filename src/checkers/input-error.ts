// A history that cannot be read (missing, truncated, corrupt): `phantom-test check` exits
// 2 with its message, which names the file and line or byte offset.
export class CheckInputError extends Error {}
