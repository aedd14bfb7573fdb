import { describe, expect, it } from 'vitest';
import { CorruptionError } from '../errors.ts';
import {
  GoRawJson, compareUtf8, fieldReader, getBytes, getInteger, getString, goField, goJsonCompact, goJsonEncode, goJsonEncodeLine, goJsonIndent,
  goJsonString, goMap, parseJsonObject, unknownMembers,
} from './go-json.ts';

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

describe('goJsonIndent', () => {
  it('lays out compact JSON as Go json.Indent does (the same text JSON.stringify indents to)', () => {
    const v = { a: [], b: {}, c: [1, { d: 'x,"y":[z]', e: [true, null] }], f: 'a\\"b{' };
    expect(goJsonIndent(goJsonEncode(v), '  ')).toBe(JSON.stringify(v, null, '  '));
    expect(goJsonIndent('{"tag":"\\u003c"}', '\t')).toBe('{\n\t"tag": "\\u003c"\n}');
    expect(goJsonIndent('[]', '  ')).toBe('[]');
  });
});

describe('reading Go JSON', () => {
  it('binds fields exactly, then case-insensitively; null and absent are the zero value', () => {
    const o = parseJsonObject(Buffer.from('{"Tool":"kopia","n":null,"uniqueID":"AAEC","x":1}'), 'doc');
    expect(getString(o, 'tool', 'doc')).toBe('kopia');
    expect(getInteger(o, 'n', 'doc')).toBe(0);
    expect(getBytes(o, 'uniqueId', 'doc')).toEqual(Buffer.from([0, 1, 2]));
    expect(unknownMembers(o, ['tool', 'n', 'uniqueID'])).toEqual({ x: 1 });
  });

  it('refuses wrong types, bad base64 and non-objects with a CorruptionError naming the field', () => {
    const o = parseJsonObject(Buffer.from('{"a":1.5,"b":"not base64!","c":3}'), 'doc');
    expect(() => getInteger(o, 'a', 'doc')).toThrow(/doc: field "a" is not an integer/);
    expect(() => getBytes(o, 'b', 'doc')).toThrow(CorruptionError);
    expect(() => getString(o, 'c', 'doc')).toThrow(/field "c" is not a string/);
    expect(() => parseJsonObject(Buffer.from('[1]'), 'doc')).toThrow(/doc is not a JSON object/);
    expect(() => parseJsonObject(Buffer.from('{'), 'doc')).toThrow(/doc is not valid JSON/);
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
    expect(goField({}, 'toString')).toBeUndefined(); // own members only, never the prototype's
  });

  it('fieldReader binds as goField does, searching keys only when one is not spelled as the struct spells it', () => {
    const spelled = new Set(['name', 'size']);
    const exact = { name: 'a' };
    const read = fieldReader(exact, spelled);
    expect(read).not.toBe(goField); // all keys exact: no case-insensitive search for absent fields
    expect(read(exact, 'name')).toBe('a');
    expect(read(exact, 'size')).toBeUndefined();
    expect(read(exact, 'toString')).toBeUndefined();
    const folded = { name: 'a', SIZE: 7 };
    expect(fieldReader(folded, spelled)).toBe(goField);
    expect(fieldReader(folded, spelled)(folded, 'size')).toBe(7);
  });
});
