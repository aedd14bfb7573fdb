import { describe, expect, it } from 'vitest';
import { GoRawJson, compareUtf8, goField, goJsonCompact, goJsonEncode, goJsonEncodeLine, goJsonString, goMap } from './go-json.ts';

describe('goJsonString', () => {
  it('escapes like Go encoding/json', () => {
    expect(goJsonString('a<b>&c')).toBe('"a\\u003cb\\u003e\\u0026c"');
    expect(goJsonString('\u2028\u2029')).toBe('"\\u2028\\u2029"');
    expect(goJsonString('\b\f\n\r\t\u0001\u001f"\\')).toBe('"\\b\\f\\n\\r\\t\\u0001\\u001f\\"\\\\"');
    expect(goJsonString('caf\u00e9 \u{1F600}\u007f/')).toBe('"caf\u00e9 \u{1F600}\u007f/"');
    expect(goJsonString('x\ud800y')).toBe('"x\ufffdy"');
  });
});

describe('goJsonEncode', () => {
  it('keeps struct field order, omits undefined fields and sorts map keys by UTF-8 bytes', () => {
    const v = {
      z: 1, a: 'x', skipped: undefined, n: null,
      m: new Map<string, unknown>([['b', 1], ['\uffff', 2], ['\u{10000}', 3], ['a', [true, false]], ['B', 1.5]]),
    };
    expect(goJsonEncode(v)).toBe('{"z":1,"a":"x","n":null,"m":{"B":1.5,"a":[true,false],"b":1,"\uffff":2,"\u{10000}":3}}');
    expect(goJsonEncode(goMap({ type: 'snapshot', hostname: 'h', path: '/p', username: 'u' })))
      .toBe('{"hostname":"h","path":"/p","type":"snapshot","username":"u"}');
  });

  it('encodes bigint, []byte, RawMessage and toJSON values', () => {
    expect(goJsonEncode({ big: 9007199254740993n, b: Buffer.from([0, 1, 2, 255]), empty: new Uint8Array(0) }))
      .toBe('{"big":9007199254740993,"b":"AAEC/w==","empty":""}');
    expect(goJsonEncode({ raw: new GoRawJson('{ "a" : "<x>" ,\n "b": [1, 2] }') })).toBe('{"raw":{"a":"\\u003cx\\u003e","b":[1,2]}}');
    expect(goJsonEncode(new Date(0))).toBe('"1970-01-01T00:00:00.000Z"');
    expect(goJsonEncode([undefined, -0, 1e21, 1e-7, 0.5])).toBe('[null,0,1e+21,1e-7,0.5]');
    expect(goJsonEncodeLine({})).toBe('{}\n');
  });

  it('rejects values JSON cannot carry', () => {
    expect(() => goJsonEncode(Number.NaN)).toThrow(TypeError);
    expect(() => goJsonEncode({ f: () => 1 })).toThrow(TypeError);
  });
});

describe('goJsonCompact', () => {
  it('drops whitespace outside strings only and escapes HTML characters inside them', () => {
    expect(goJsonCompact(' { "a b" : "x\\" <y>" ,\t"c":\r\n[ 1 ] } ')).toBe('{"a b":"x\\" \\u003cy\\u003e","c":[1]}');
  });
});

describe('helpers', () => {
  it('compareUtf8 orders by code point, unlike UTF-16 comparison', () => {
    expect('\u{10000}' < '\uffff').toBe(true); // JS order
    expect(compareUtf8('\u{10000}', '\uffff')).toBeGreaterThan(0); // Go order
    expect(compareUtf8('a', 'ab')).toBeLessThan(0);
    expect(compareUtf8('b', 'b')).toBe(0);
  });

  it('goField matches exactly first, then case-insensitively', () => {
    expect(goField({ Name: 1, name: 2 }, 'name')).toBe(2);
    expect(goField({ NAME: 3 }, 'name')).toBe(3);
    expect(goField({}, 'name')).toBeUndefined();
  });
});
