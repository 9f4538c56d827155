// Data types shared by the parser, the write path, storage and the query layer.

/** InfluxDB field types as they appear in line protocol. */
export type FieldType = 'float' | 'integer' | 'uinteger' | 'string' | 'boolean';

/**
 * A field value. float: number; integer and uinteger: bigint (64-bit range checked by the parser);
 * string: string; boolean: boolean.
 */
export interface FieldValue {
  type: FieldType;
  value: number | bigint | string | boolean;
}

/** One parsed line of line protocol. */
export interface Point {
  measurement: string;
  /** Tag key -> value, keys in ascending order (byte order), no duplicates, no empty values. */
  tags: Record<string, string>;
  /** Field key -> typed value; at least one field. */
  fields: Record<string, FieldValue>;
  /** Nanoseconds since the Unix epoch. */
  time: bigint;
  /** 1-based line number in the request body this point came from. */
  line: number;
}

/** A rejected line, in InfluxDB 3's partial-write body shape. */
export interface LineError {
  error_message: string;
  /** 1-based. */
  line_number: number;
  original_line: string;
}

/** Precision of line-protocol timestamps. `auto` guesses from the magnitude. */
export type Precision = 'auto' | 's' | 'ms' | 'us' | 'ns';

/** Column kinds of a table: InfluxDB's data model. */
export type ColumnKind = 'time' | 'tag' | 'field';

export interface ColumnSchema {
  name: string;
  kind: ColumnKind;
  /** For fields; tags are strings and time is a timestamp. */
  type?: FieldType;
}
