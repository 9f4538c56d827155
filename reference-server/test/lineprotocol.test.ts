import t from 'tap';
import {
  ParamError,
  compareBytes,
  parseLineProtocol,
  parsePrecision,
  type ParseOptions,
  type WritePrecision,
} from '../src/lineprotocol/parse.js';
import type { FieldValue, Point } from '../src/types.js';

const NOW = 1_700_000_000_123_456_789n;

function parse(body: string, precision: WritePrecision = 'ns', defaultTime = NOW) {
  const opts: ParseOptions = { precision, defaultTime };
  return parseLineProtocol(body, opts);
}

/** Parse a body that must yield exactly one point and no errors. */
function one(body: string, precision: WritePrecision = 'ns', defaultTime = NOW): Point {
  const r = parse(body, precision, defaultTime);
  if (r.errors.length !== 0 || r.points.length !== 1) {
    throw new Error(`expected one point from ${JSON.stringify(body)}: ${JSON.stringify(r.errors)}`);
  }
  return r.points[0]!;
}

/** The single field value of a one-field line. */
function field(body: string): FieldValue {
  const p = one(body);
  const vals = Object.values(p.fields);
  if (vals.length !== 1) throw new Error('expected one field');
  return vals[0]!;
}

/** Parse a body that must yield exactly one error and no points; returns the message. */
function err(body: string, precision: WritePrecision = 'ns'): string {
  const r = parse(body, precision);
  if (r.points.length !== 0 || r.errors.length !== 1) {
    throw new Error(
      `expected one error from ${JSON.stringify(body)}, got ${r.points.length} points, ` +
        `${JSON.stringify(r.errors)}`,
    );
  }
  return r.errors[0]!.error_message;
}

t.test('a typical line', async (t) => {
  const r = parse('cpu,host=server01,region=us-west usage=0.64,idle=12i 1700000000000000000');
  t.same(r.errors, []);
  t.equal(r.points.length, 1);
  const p = r.points[0]!;
  t.equal(p.measurement, 'cpu');
  t.same(p.tags, { host: 'server01', region: 'us-west' });
  t.same(p.fields, {
    usage: { type: 'float', value: 0.64 },
    idle: { type: 'integer', value: 12n },
  });
  t.equal(p.time, 1_700_000_000_000_000_000n);
  t.equal(p.line, 1);
});

t.test('empty body and bodies without data', async (t) => {
  t.same(parse(''), { points: [], errors: [] });
  t.same(parse('\n\n\n'), { points: [], errors: [] });
  t.same(parse('   \n\t\n'), { points: [], errors: [] });
  t.same(parse('# just a comment'), { points: [], errors: [] });
});

t.test('float fields', async (t) => {
  const cases: [string, number][] = [
    ['1', 1],
    ['1.5', 1.5],
    ['-1.5', -1.5],
    ['0.64', 0.64],
    ['-1e10', -1e10],
    ['1.5E+3', 1500],
    ['1.5e-3', 0.0015],
    ['1e-0', 1],
    ['-1.234456e+78', -1.234456e78],
    ['1.234456e06', 1.234456e6],
    ['007', 7],
    ['0.1', 0.1],
    ['123456789012345.6', 123456789012345.6],
    ['3.141592653589793238', 3.141592653589793],
    ['1.7976931348623157e308', 1.7976931348623157e308],
  ];
  for (const [text, value] of cases) {
    t.same(field(`m f=${text}`), { type: 'float', value }, text);
  }
  // exactly the value Number() gives, also on the fast path
  for (const text of ['0.3', '2.675', '9007199254740.993', '-0.000001']) {
    t.equal((field(`m f=${text}`).value as number), Number(text), text);
  }
  t.ok(Object.is(field('m f=-0.0').value, -0), 'negative zero');
});

t.test('invalid float-like values are line errors', async (t) => {
  for (const text of [
    'inf',
    '-inf',
    'Infinity',
    'nan',
    'NaN',
    '1.5.3',
    '1.',
    '.5',
    '+1',
    '1e',
    '1e+',
    '1.5E',
    '1x',
    '-',
    '0x10',
    '1_000',
    'abc',
    'tru',
    'truex',
    'yes',
  ]) {
    const msg = err(`m f=${text}`);
    t.match(msg, /^Invalid field value `.*` for field `f` at column 5/, text);
  }
  t.match(
    err('m f=1e400'),
    /^Unable to parse floating-point value `1e400` for field `f` .*out of range/,
  );
});

t.test('integer fields and int64 bounds', async (t) => {
  t.same(field('m f=1i'), { type: 'integer', value: 1n });
  t.same(field('m f=0i'), { type: 'integer', value: 0n });
  t.same(field('m f=-42i'), { type: 'integer', value: -42n });
  t.same(field('m f=12485903i'), { type: 'integer', value: 12485903n });
  t.same(field('m f=9223372036854775807i'), { type: 'integer', value: 9223372036854775807n });
  t.same(field('m f=-9223372036854775808i'), { type: 'integer', value: -9223372036854775808n });
  t.same(field('m f=1234567890123456i'), { type: 'integer', value: 1234567890123456n });
  t.match(
    err('m f=9223372036854775808i'),
    /^Unable to parse integer value `9223372036854775808` for field `f` at column 5: out of range/,
  );
  t.match(err('m f=-9223372036854775809i'), /Unable to parse integer value `-9223372036854775809`/);
  t.match(err('m f=66666666666666666666666666666666666666666666668i'), /out of range/);
  for (const text of ['1.5i', 'i', '-i', '1ii', '1 i', '1e3i', '+1i']) {
    t.match(err(`m f=${text}`), /Invalid field value|Could not parse|timestamp/, text);
  }
});

t.test('unsigned fields and uint64 bounds', async (t) => {
  t.same(field('m f=0u'), { type: 'uinteger', value: 0n });
  t.same(field('m f=1u'), { type: 'uinteger', value: 1n });
  t.same(field('m f=18446744073709551615u'), { type: 'uinteger', value: 18446744073709551615n });
  t.match(
    err('m f=18446744073709551616u'),
    /^Unable to parse unsigned integer value `18446744073709551616` for field `f` .*out of range/,
  );
  t.match(
    err('m f=-1u'),
    /^Unable to parse unsigned integer value `-1` for field `f` at column 5: unsigned integers cannot be negative/,
  );
  for (const text of ['1.5u', 'u', '+1u', '1uu']) {
    t.match(err(`m f=${text}`), /^Invalid field value/, text);
  }
});

t.test('boolean fields', async (t) => {
  for (const text of ['t', 'T', 'true', 'True', 'TRUE']) {
    t.same(field(`m f=${text}`), { type: 'boolean', value: true }, text);
  }
  for (const text of ['f', 'F', 'false', 'False', 'FALSE']) {
    t.same(field(`m f=${text}`), { type: 'boolean', value: false }, text);
  }
  for (const text of ['tRUE', 'fALSE', 'yes', 'TRue', 'FaLsE', '1b']) {
    t.match(err(`m f=${text}`), /^Invalid field value/, text);
  }
  // a quoted boolean is a string
  t.same(field('m f="true"'), { type: 'string', value: 'true' });
});

t.test('string fields', async (t) => {
  const cases: [string, string][] = [
    ['""', ''],
    ['"str val"', 'str val'],
    ['"a,b=c d"', 'a,b=c d'],
    ['"The \\"string\\" val"', 'The "string" val'],
    ['"too hot/cold"', 'too hot/cold'],
    // the docs' backslash table: an escaped backslash is one backslash, a lone one is literal
    ['"too hot\\cold"', 'too hot\\cold'],
    ['"too hot\\\\cold"', 'too hot\\cold'],
    ['"too hot\\\\\\cold"', 'too hot\\\\cold'],
    ['"too hot\\\\\\\\cold"', 'too hot\\\\cold'],
    ['"too hot\\\\\\\\\\cold"', 'too hot\\\\\\cold'],
    ['"too hot\\\\\\\\\\\\cold"', 'too hot\\\\\\cold'],
    ['"\\n is not a newline"', '\\n is not a newline'],
    ['"ends with backslash\\\\"', 'ends with backslash\\'],
    ["\"single 'quotes'\"", "single 'quotes'"],
    ['"Launch 🚀"', 'Launch 🚀'],
    ['"# not a comment"', '# not a comment'],
  ];
  for (const [text, value] of cases) {
    t.same(field(`m f=${text}`), { type: 'string', value }, text);
  }
  const p = one('m a="x, y",b="p=q",c=1i 42');
  t.same(p.fields, {
    a: { type: 'string', value: 'x, y' },
    b: { type: 'string', value: 'p=q' },
    c: { type: 'integer', value: 1n },
  });
  t.equal(p.time, 42n);
});

t.test('unterminated and malformed strings', async (t) => {
  t.match(
    err('m f="abc'),
    /^Unterminated string value for field `f`: missing closing double quote .* at column 5/,
  );
  t.match(err('m f="abc\\"'), /^Unterminated string/, 'an escaped quote does not close it');
  t.match(err('m f="abc"x'), /^Unexpected content after the string value of field `f`: `x`/);
  // As in InfluxDB, an open quote keeps the line going across newlines, so the rest of the
  // body belongs to the broken line: one error, no points.
  const r = parse('m f="abc\nm f=1\nm f=2');
  t.equal(r.points.length, 0);
  t.equal(r.errors.length, 1);
  t.equal(r.errors[0]!.line_number, 1);
  t.equal(r.errors[0]!.original_line, 'm f="abc\nm f=1\nm f=2');
});

t.test('newlines inside string fields continue the line', async (t) => {
  const r = parse('a f="x\ny" 1\nb f="1\n2\n3",g=1 2\r\nc f=1 3\n');
  t.same(r.errors, []);
  t.same(
    r.points.map((p) => [p.measurement, p.fields.f!.value, p.line]),
    [
      ['a', 'x\ny', 1],
      ['b', '1\n2\n3', 3],
      ['c', 1, 6],
    ],
  );
});

t.test('escapes in measurement names', async (t) => {
  t.equal(one('wea\\,ther f=1').measurement, 'wea,ther');
  t.equal(one('wea\\ ther f=1').measurement, 'wea ther');
  t.equal(one('\\\\wea\\\\ther f=1').measurement, '\\wea\\ther');
  // `=` needs no escape in a measurement; a backslash before it stays
  t.equal(one('wea\\=ther f=1').measurement, 'wea\\=ther');
  t.equal(one('a=b f=1').measurement, 'a=b');
  // unknown escapes are kept literally
  t.equal(one('\\wea\\ther f=1').measurement, '\\wea\\ther');
  t.equal(one('wea\\"ther f=1').measurement, 'wea\\"ther');
  t.equal(one('my\\ Table,t=1 f=1').measurement, 'my Table');
  t.equal(one('"quoted" f=1').measurement, '"quoted"');
  t.equal(one("'single' f=1").measurement, "'single'");
  t.equal(one('🍭 f=1').measurement, '🍭');
});

t.test('escapes in tag keys, tag values and field keys', async (t) => {
  const p = one('m,tag\\ key\\,1\\=x=tag\\ val\\,1\\=y field\\ key\\,1\\=z=1');
  t.same(p.tags, { 'tag key,1=x': 'tag val,1=y' });
  t.same(Object.keys(p.fields), ['field key,1=z']);

  t.same(one('m,k=\\\\wea\\\\ther f=1').tags, { k: '\\wea\\ther' });
  t.same(one('m,k=\\wea\\ther f=1').tags, { k: '\\wea\\ther' }, 'unknown escapes kept');
  t.same(one('m,\\\\k=v f=1').tags, { '\\k': 'v' });
  t.same(Object.keys(one('m \\\\f\\ g=1').fields), ['\\f g']);
  t.same(one('m,k="v" f=1').tags, { k: '"v"' }, 'quotes are part of tag values');

  // what needs no escape (InfluxDB 3 accepts these unescaped)
  t.same(one('m,k=a=b f=1').tags, { k: 'a=b' }, '= in a tag value');
  t.same(one('m,a,b=c f=1').tags, { 'a,b': 'c' }, ', in a tag key');
  t.same(Object.keys(one('m a,b=1').fields), ['a,b'], ', in a field key');

  t.same(one('m,tagKey=🍭 fieldKey="Launch 🚀" 1556813561098000000').tags, { tagKey: '🍭' });
});

t.test('a name may not end with a backslash', async (t) => {
  const msg = /^Measurements, tag keys and values, and field keys may not end with a backslash/;
  t.match(err('m,t=a\\'), msg, 'backslash at the end of the body');
  t.match(err('m,t=a\\\\ f=1'), msg, 'escaped backslash at the end of a tag value');
  t.match(err('m\\\\ f=1'), msg, 'measurement');
  t.match(err('m,t\\\\=v f=1'), msg, 'tag key');
  t.match(err('m f\\\\=1'), msg, 'field key');
  t.match(err('weather\\'), msg, 'measurement at the end of the body');
  t.match(err('m,t=v f\\'), msg, 'field key at the end of the body');
  const crlf = parse('m,t=a\\\r\nm2 f=1\n');
  t.match(crlf.errors[0]?.error_message, msg, 'before CRLF');
  t.equal(crlf.errors[0]?.original_line, 'm,t=a\\');
  t.same(
    crlf.points.map((p) => [p.measurement, p.line]),
    [['m2', 2]],
  );
});

t.test('a backslash before a newline continues the line (as in InfluxDB)', async (t) => {
  const r = parse('weat\\\nher f=1 1\nnext f=2 2');
  t.same(r.errors, []);
  t.same(
    r.points.map((p) => [p.measurement, p.line]),
    [
      ['weat\\\nher', 1],
      ['next', 3],
    ],
  );
});

t.test('comments and blank lines', async (t) => {
  const body = [
    '# comment',
    '',
    'a f=1 1',
    '   # indented comment with "quote and a=b "c',
    '\t# tab-indented comment',
    '   ',
    'b f=2 2',
    '#no space comment',
    'c f=3 3',
    '# trailing comment without newline',
  ].join('\n');
  const r = parse(body);
  t.same(r.errors, []);
  t.same(
    r.points.map((p) => [p.measurement, p.line]),
    [
      ['a', 3],
      ['b', 7],
      ['c', 9],
    ],
  );
  // `#` elsewhere is data
  t.equal(one('m#1 f=1').measurement, 'm#1');
  t.same(one('m,t=#x f=1').tags, { t: '#x' });
});

t.test('CRLF line endings', async (t) => {
  const r = parse('a,t=1 f=1 1\r\n\r\nb f="x" 2\r\nbad\r\nc f=3i\r\n');
  t.same(
    r.points.map((p) => [p.measurement, p.line, p.time]),
    [
      ['a', 1, 1n],
      ['b', 3, 2n],
      ['c', 5, NOW],
    ],
  );
  t.same(r.points[1]!.fields.f, { type: 'string', value: 'x' });
  t.same(r.points[2]!.fields.f, { type: 'integer', value: 3n });
  t.equal(r.errors.length, 1);
  t.equal(r.errors[0]!.line_number, 4);
  t.equal(r.errors[0]!.original_line, 'bad', 'no \\r in original_line');
  t.equal(one('m f=1 5\r').time, 5n, 'lone CR at the end of the body');
});

t.test('whitespace', async (t) => {
  const p = one('  measurement  a=1i  123  ');
  t.equal(p.measurement, 'measurement');
  t.same(p.fields, { a: { type: 'integer', value: 1n } });
  t.equal(p.time, 123n);
  t.equal(one('\tm f=1 1').measurement, 'm', 'leading tab');
  t.equal(one('m,t=1   f=1   7   ').time, 7n);

  t.match(
    err('m f=1 '),
    /^Could not parse entire line: trailing whitespace at column 6 is only allowed after a timestamp/,
  );
  t.match(err('m f=1\t'), /^Invalid field value `1\t`/);
  t.match(err('m\tf=1'), /^Expected at least one space character after the series key, got `\tf=1`/);
  t.match(err('m,t=1\tf=1'), /^Expected at least one space character/);
  t.match(err('m f=1\t123'), /^Invalid field value/);
  t.match(err('m f=1 123\t'), /^Unable to parse timestamp value `123\t`/);
  t.match(err('m f=1, g=2'), /^Expected field key, got ` g=2` at column 7/);
  t.match(err('m f =1'), /^No fields were provided: could not find equals sign after `f`/);
  t.match(err('m f= 1'), /^Missing value for field `f` at column 5/);
  t.match(err('m, t=1 f=1'), /^Expected tag key, got ` t=1 f=1` at column 3/);
});

t.test('structural errors', async (t) => {
  t.match(err(',t=1 f=1'), /^Invalid measurement was provided: the measurement name is empty at column 1/);
  t.match(err('  ,t=1 f=1'), /at column 3$/);
  t.match(
    err('measurement'),
    /^No fields were provided: expected a space and at least one field after the series key at column 12/,
  );
  t.match(err('m '), /^No fields were provided/);
  t.match(err('m,t=1'), /^No fields were provided/);
  t.match(err('foo 1234'), /^No fields were provided: could not find equals sign after `1234`/);
  t.match(err('m,'), /^Expected tag key, got end of input at column 3/);
  t.match(err('\0 f=1'), /^Invalid measurement was provided/, 'NUL ends a measurement');
  t.match(err('ab\0c f=1'), /^Expected at least one space character after the series key, got `\0c f=1`/);
  t.same(one('m,t=a\0b f=1').tags, { t: 'a\0b' }, 'NUL is allowed in tag values');
  t.match(err('m,=v f=1'), /^Expected tag key, got `=v f=1`/);
  t.match(err('m,t f=1'), /^Tag set malformed: could not find equals sign in `t f=1` at column 4/);
  t.match(err('J,#'), /^Tag set malformed: could not find equals sign in `#`/);
  t.match(err('m,t= f=1'), /^Expected tag value for tag key `t`, got ` f=1` at column 5/);
  t.match(err('m,t=,u=1 f=1'), /^Expected tag value for tag key `t`, got `,u=1 f=1`/);
  t.match(err('m,t=1, f=1'), /^Expected tag key, got ` f=1`/);
  t.match(err('m f=1,'), /^Expected field key, got end of input at column 7/);
  t.match(err('m f=1,g'), /^Field set malformed: could not find equals sign after field key `g`/);
  t.match(err('m f='), /^Missing value for field `f` at column 5/);
  t.match(err('m f=,g=1'), /^Missing value for field `f`/);
  t.match(err('m =1'), /^Expected field key, got `=1` at column 3/);
  t.match(
    err('m f=1 1 2'),
    /^Could not parse entire line. Found trailing content: `2` at column 9/,
  );
  t.match(
    err('testmeasure,foo=f bar=1i,ba' + 'z'.repeat(100) + '='),
    /^Missing value for field `baz+`/,
  );
  t.match(err('m,t=' + 'x'.repeat(20) + ' '), /^No fields were provided/);
});

t.test('duplicate tags and fields', async (t) => {
  t.match(err('m,host=a,host=b f=1'), /duplicate tag/);
  t.equal(
    err('m,host=a,host=b f=1'),
    'Must not contain duplicate tags, but `host` was repeated at column 10',
  );
  t.match(err('m,b=1,a=2,b=3 f=1'), /^Must not contain duplicate tags, but `b` was repeated at column 11/);
  t.match(err('m,a=1,a=1 f=1'), /duplicate tags, but `a`/, 'same value too');
  t.match(err('m,t\\ 1=a,t\\ 1=b f=1'), /duplicate tags, but `t 1`/, 'after unescaping');
  t.equal(
    err('m f=1,g=2,f=3i'),
    'Must not contain duplicate fields, but `f` was repeated at column 11',
  );
  const many = Array.from({ length: 12 }, (_, k) => `f${k}=${k}`);
  t.same(Object.keys(one(`m ${many.join(',')}`).fields).length, 12, 'many distinct fields');
  t.match(err(`m ${many.join(',')},f3=1`), /duplicate fields, but `f3`/, 'duplicate after many');
  t.match(err(`m ${many.join(',')},f11=1`), /duplicate fields, but `f11`/);
  t.match(err(`m ${many.join(',')},constructor=1,constructor=2`), /duplicate fields, but `constructor`/);
  t.same(one(`m ${many.join(',')},constructor=1,toString=2,__proto__=3`).fields.constructor, {
    type: 'float',
    value: 1,
  });
  // a tag and a field may share a name at the syntax level (that is a schema question)
  t.same(one('m,x=1 x=2').tags, { x: '1' });
});

t.test('tags are sorted by key in byte order', async (t) => {
  const p = one('m,zone=z,b=2,a=1,Z=up,_u=u,region=r f=1');
  t.same(Object.keys(p.tags), ['Z', '_u', 'a', 'b', 'region', 'zone']);
  t.same(p.tags, { Z: 'up', _u: 'u', a: '1', b: '2', region: 'r', zone: 'z' });

  // UTF-8 byte order equals code point order: U+FF5E (3 bytes) sorts before U+1F600 (4 bytes),
  // although its UTF-16 code unit is larger than the surrogate 0xD83D.
  const q = one('m,😀=x,～=y,é=z,e=w f=1');
  t.same(Object.keys(q.tags), ['e', 'é', '～', '😀']);
  t.ok(compareBytes('～', '😀') < 0);
  t.ok(compareBytes('a', 'ab') < 0);
  t.ok(compareBytes('b', 'a') > 0);
  t.equal(compareBytes('same', 'same'), 0);

  // already sorted input is kept as is; many tags
  const keys = Array.from({ length: 30 }, (_, i) => `k${String(i).padStart(2, '0')}`);
  const shuffled = [...keys].reverse();
  const r = one(`m,${shuffled.map((k) => `${k}=${k}`).join(',')} f=1`);
  t.same(Object.keys(r.tags), keys);
});

t.test('each point has its own tags object', async (t) => {
  const r = parse('m,host=a f=1 1\nm,host=a f=2 2\nm,host=a f=3 3');
  t.equal(r.points.length, 3);
  r.points[0]!.tags.host = 'changed';
  (r.points[1]!.tags as Record<string, string>).extra = 'x';
  t.same(r.points[2]!.tags, { host: 'a' });
  t.same(parse('m,host=a f=9 9').points[0]!.tags, { host: 'a' }, 'later calls unaffected');
});

t.test('repeated series across calls parse identically', async (t) => {
  const long = 'a-tag-value-longer-than-13-chars';
  const body = `cpu,host=${long},z=1 f=1 1\ncpu,host=${long},z=1 f=2 2`;
  for (let i = 0; i < 3; i++) {
    const r = parse(body);
    t.same(r.errors, []);
    t.same(
      r.points.map((p) => [p.measurement, p.tags]),
      [
        ['cpu', { host: long, z: '1' }],
        ['cpu', { host: long, z: '1' }],
      ],
    );
  }
  // a series text that once failed is still reported
  t.match(err('cpu,host=a,host=b f=1'), /duplicate tags/);
  t.match(err('cpu,host=a,host=b f=1'), /duplicate tags/);
});

t.test('__proto__ as a tag key or field key is kept as data', async (t) => {
  const p = one('m,__proto__=x,a=1 __proto__=1i,b=2');
  t.ok(Object.prototype.hasOwnProperty.call(p.tags, '__proto__'));
  t.equal(p.tags['__proto__'], 'x');
  t.same(Object.keys(p.tags), ['__proto__', 'a']);
  t.ok(Object.prototype.hasOwnProperty.call(p.fields, '__proto__'));
  t.same(p.fields['__proto__'], { type: 'integer', value: 1n });
  t.equal(Object.getPrototypeOf(p.tags), Object.prototype);
  const again = one('m,__proto__=x,a=1 b=2');
  t.equal(again.tags['__proto__'], 'x', 'from the series cache');
  t.match(err('m,__proto__=x,__proto__=y f=1'), /duplicate tags, but `__proto__`/);
  t.match(err('m constructor=1,constructor=2'), /duplicate fields, but `constructor`/);
  t.same(Object.keys(one('m constructor=1,toString=2').fields), ['constructor', 'toString']);
});

t.test('missing timestamp uses the default time', async (t) => {
  t.equal(one('m f=1').time, NOW);
  t.equal(one('m f=1', 'auto').time, NOW, 'auto keeps it');
  // InfluxDB 3 truncates the default time to the precision of the request
  t.equal(one('m f=1', 'us').time, 1_700_000_000_123_456_000n);
  t.equal(one('m f=1', 'ms').time, 1_700_000_000_123_000_000n);
  t.equal(one('m f=1', 's').time, 1_700_000_000_000_000_000n);
  t.equal(one('m f=1', 'm').time, 1_699_999_980_000_000_000n);
  t.equal(one('m f=1', 'h').time, 1_699_999_200_000_000_000n);
  t.equal(one('m f="x"', 'ns', 5n).time, 5n);
});

t.test('timestamps and precision', async (t) => {
  t.equal(one('m f=1 1556813561098000000').time, 1556813561098000000n);
  t.equal(one('m f=1 -123').time, -123n, 'negative');
  t.equal(one('m f=1 0').time, 0n);
  t.equal(one('m f=1 007').time, 7n, 'leading zeros');
  t.equal(one('m f=1 9223372036854775807').time, 9223372036854775807n, 'int64 max');
  t.equal(one('m f=1 -9223372036854775808').time, -9223372036854775808n, 'int64 min');
  t.equal(one('m f=1 0000000000000000000000001').time, 1n, 'more than 19 digits');

  t.equal(one('m f=1 1700000000', 's').time, 1_700_000_000_000_000_000n);
  t.equal(one('m f=1 1700000000123', 'ms').time, 1_700_000_000_123_000_000n);
  t.equal(one('m f=1 1700000000123456', 'us').time, 1_700_000_000_123_456_000n);
  t.equal(one('m f=1 1700000000123456789', 'ns').time, 1_700_000_000_123_456_789n);
  t.equal(one('m f=1 28333333', 'm').time, 1_699_999_980_000_000_000n);
  t.equal(one('m f=1 472222', 'h').time, 1_699_999_200_000_000_000n);
  t.equal(one('m f=1 -2', 's').time, -2_000_000_000n);

  t.match(
    err('m f=1 9223372036854775808'),
    /^Unable to parse timestamp value `9223372036854775808` at column 7: out of range/,
  );
  t.match(err('m f=1 -9223372036854775809'), /out of range for a 64-bit integer/);
  t.match(err('m f=1 ' + '1'.repeat(72)), /^Unable to parse timestamp value/);
  t.match(
    err('m f=1 9223372037', 's'),
    /^timestamp, 9223372037, out of range for precision: Second at column 7/,
  );
  t.match(err('m f=1 9223372036855', 'ms'), /out of range for precision: Millisecond/);
  t.match(err('m f=1 153722867281', 'm'), /out of range for precision: Minute/);
  t.match(err('m f=1 -9223372037', 's'), /out of range for precision/);
  t.equal(one('m f=1 9223372036', 's').time, 9_223_372_036_000_000_000n);
  for (const text of ['abc', '12a', '1.5', '-', '1e9', '+5', '0x10']) {
    t.match(err(`m f=1 ${text}`), /^Unable to parse timestamp value `.*` at column 7: expected an integer/, text);
  }
});

t.test('auto precision guesses the unit like InfluxDB 3', async (t) => {
  const cases: [string, bigint][] = [
    ['1700000000', 1_700_000_000_000_000_000n], // seconds
    ['4999999999', 4_999_999_999_000_000_000n], // largest value read as seconds
    ['5000000000', 5_000_000_000_000_000n], // smallest value read as milliseconds
    ['1700000000123', 1_700_000_000_123_000_000n],
    ['4999999999999', 4_999_999_999_999_000_000n],
    ['5000000000000', 5_000_000_000_000_000n], // microseconds
    ['1700000000123456', 1_700_000_000_123_456_000n],
    ['4999999999999999', 4_999_999_999_999_999_000n],
    ['5000000000000000', 5_000_000_000_000_000n], // nanoseconds
    ['1700000000123456789', 1_700_000_000_123_456_789n],
    ['0', 0n],
    ['1', 1_000_000_000n],
    ['-1700000000', -1_700_000_000_000_000_000n],
    ['-1700000000123', -1_700_000_000_123_000_000n],
    ['-1700000000123456789', -1_700_000_000_123_456_789n],
  ];
  for (const [text, ns] of cases) {
    t.equal(one(`m f=1 ${text}`, 'auto').time, ns, text);
  }
});

t.test('several errors in one body', async (t) => {
  const body = [
    'good,t=1 f=1 1', // 1
    'bad1', // 2
    '', // 3
    '# comment', // 4
    'good f=2i 2', // 5
    'bad2,t=1,t=2 f=1', // 6
    '  bad3 f=tru 3', // 7
    'good f="s" 3', // 8
    'bad4 f=1 x', // 9
  ].join('\n');
  const r = parse(body);
  t.same(
    r.points.map((p) => p.line),
    [1, 5, 8],
  );
  t.same(
    r.errors.map((e) => [e.line_number, e.original_line]),
    [
      [2, 'bad1'],
      [6, 'bad2,t=1,t=2 f=1'],
      [7, '  bad3 f=tru 3'],
      [9, 'bad4 f=1 x'],
    ],
  );
  t.match(r.errors[0]!.error_message, /No fields were provided/);
  t.match(r.errors[1]!.error_message, /duplicate tags/);
  t.match(r.errors[2]!.error_message, /^Invalid field value `tru` for field `f` at column 10/);
  t.match(r.errors[3]!.error_message, /^Unable to parse timestamp value `x`/);
});

t.test('large batch keeps order and line numbers', async (t) => {
  const lines: string[] = [];
  for (let i = 0; i < 2000; i++) {
    lines.push(
      i % 100 === 99
        ? `bad line ${i}`
        : `cpu,host=h${i % 7},region=r${i % 3} usage=${i}.5,idle=${i}i,up=t,s="v${i}" ${1700000000000000000n + BigInt(i)}`,
    );
  }
  const r = parse(lines.join('\n'));
  t.equal(r.points.length, 1980);
  t.equal(r.errors.length, 20);
  t.same(
    r.errors.slice(0, 2).map((e) => [e.line_number, e.original_line]),
    [
      [100, 'bad line 99'],
      [200, 'bad line 199'],
    ],
  );
  const p = r.points[150]!; // i = 151 (one bad line, i = 99, before it), on line 152
  t.equal(p.line, 152);
  t.same(p.tags, { host: `h${151 % 7}`, region: `r${151 % 3}` });
  t.same(p.fields, {
    usage: { type: 'float', value: 151.5 },
    idle: { type: 'integer', value: 151n },
    up: { type: 'boolean', value: true },
    s: { type: 'string', value: 'v151' },
  });
  t.equal(p.time, 1700000000000000151n);
});

t.test('parseLineProtocol rejects an unknown precision', async (t) => {
  t.throws(() => parseLineProtocol('m f=1', { precision: 'x' as WritePrecision, defaultTime: 0n }), TypeError);
});

t.test('parsePrecision', async (t) => {
  t.equal(parsePrecision('v3', null), 'auto');
  t.equal(parsePrecision('v2', null), 'ns');
  t.equal(parsePrecision('v1', null), 'ns');

  const v3: [string, WritePrecision][] = [
    ['auto', 'auto'],
    ['nanosecond', 'ns'],
    ['microsecond', 'us'],
    ['millisecond', 'ms'],
    ['second', 's'],
    ['ns', 'ns'],
    ['us', 'us'],
    ['ms', 'ms'],
    ['s', 's'],
    ['n', 'ns'],
    ['u', 'us'],
  ];
  for (const [raw, p] of v3) t.equal(parsePrecision('v3', raw), p, `v3 ${raw}`);
  for (const raw of ['ns', 'us', 'ms', 's']) t.equal(parsePrecision('v2', raw), raw, `v2 ${raw}`);
  const v1: [string, WritePrecision][] = [
    ['n', 'ns'],
    ['ns', 'ns'],
    ['u', 'us'],
    ['us', 'us'],
    ['ms', 'ms'],
    ['s', 's'],
    ['m', 'm'],
    ['h', 'h'],
  ];
  for (const [raw, p] of v1) t.equal(parsePrecision('v1', raw), p, `v1 ${raw}`);

  const bad: ['v3' | 'v2' | 'v1', string][] = [
    ['v3', 'm'],
    ['v3', 'h'],
    ['v3', 'NS'],
    ['v3', 'seconds'],
    ['v3', ''],
    ['v2', 'auto'],
    ['v2', 'n'],
    ['v2', 'second'],
    ['v2', 'm'],
    ['v1', 'auto'],
    ['v1', 'second'],
    ['v1', 'rfc3339'],
    ['v1', 'toString'],
    ['v1', '__proto__'],
  ];
  for (const [api, raw] of bad) {
    t.throws(() => parsePrecision(api, raw), ParamError, `${api} ${raw}`);
  }
  try {
    parsePrecision('v2', 'xyz');
    t.fail('should throw');
  } catch (e) {
    t.ok(e instanceof ParamError);
    const pe = e as ParamError;
    t.equal(pe.param, 'precision');
    t.equal(pe.status, 400);
    t.equal(pe.message, "invalid precision 'xyz' for /api/v2/write: expected one of ns, us, ms, s");
  }
});
