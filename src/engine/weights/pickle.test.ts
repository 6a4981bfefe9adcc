import { describe, expect, it } from 'vitest';
import { expectStudioError } from '../../../test/helpers/weightFiles';
import { PickleDict, PickleGlobal, PickleObject, isTuple, toPlain, unpickle } from './pickle';
import { OP, PickleEncoder, PyFloat } from './pickleWriter';

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

/**
 * CPython's pickle.dumps of
 * {'a': [1, 2.5, 'xé中', None, True, False], 'b': (1,2,3,4), 'c': {1, 2}, 'd': b'\x00\xff',
 *  'big': 2**70, 'neg': -3, 'n': -(2**40), 'f': 1e-300, 'e': ()}
 * in protocols 0, 2 and 4 (generated once with Python 3.11).
 */
const CPYTHON = {
  0: '286470300a56610a70310a286c70320a49310a6146322e350a615678e95c75346532640a70330a614e614930310a614930300a617356620a70340a2849310a49320a49330a49340a7470350a7356630a70360a635f5f6275696c74696e5f5f0a7365740a70370a28286c70380a49310a6149320a617470390a527031300a7356640a7031310a635f636f646563730a656e636f64650a7031320a28565c7530303030ff0a7031330a566c6174696e310a7031340a747031350a527031360a73566269670a7031370a4c313138303539313632303731373431313330333432344c0a73566e65670a7031380a492d330a73566e0a7031390a4c2d313039393531313632373737364c0a7356660a7032300a4631652d3330300a7356650a7032310a2874732e',
  2: '80027d71002858010000006171015d7102284b01474004000000000000580600000078c3a9e4b8ad71034e8889655801000000627104284b014b024b034b047471055801000000637106635f5f6275696c74696e5f5f0a7365740a71075d7108284b014b026585710952710a580100000064710b635f636f646563730a656e636f64650a710c580300000000c3bf710d58060000006c6174696e31710e86710f527110580300000062696771118a0900000000000000004058030000006e656771124afdffffff58010000006e71138a060000000000ff58010000006671144701a56e1fc2f8f359580100000065711529752e',
  4: '80049582000000000000007d94288c0161945d94284b014740040000000000008c0678c3a9e4b8ad944e8889658c016294284b014b024b034b0474948c0163948f94284b014b02908c016494430200ff948c03626967948a090000000000000000408c036e6567944afdffffff8c016e948a060000000000ff8c0166944701a56e1fc2f8f3598c01659429752e',
};

describe('unpickle', () => {
  for (const protocol of [0, 2, 4] as const) {
    it(`reads CPython protocol ${protocol} output`, () => {
      const v = unpickle(hex(CPYTHON[protocol]), 'test.pkl');
      expect(v).toBeInstanceOf(PickleDict);
      const d = v as PickleDict;
      expect(d.get('a')).toEqual([1, 2.5, 'xé中', null, true, false]);
      expect(isTuple(d.get('b'))).toBe(true);
      expect(d.get('b')).toEqual([1, 2, 3, 4]);
      expect(isTuple(d.get('a'))).toBe(false);
      expect(d.get('c')).toEqual(new Set([1, 2]));
      expect(d.get('d')).toEqual(new Uint8Array([0, 255]));
      expect(d.get('big')).toBe(2n ** 70n);
      expect(d.get('neg')).toBe(-3);
      expect(d.get('n')).toBe(-(2 ** 40));
      expect(d.get('f')).toBe(1e-300);
      expect(d.get('e')).toEqual([]);
    });
  }

  it('keeps a call to os.system inert instead of running it', () => {
    // pickle.dumps({'x': Evil()}) where Evil.__reduce__ returns (os.system, ('echo pwned',))
    const v = unpickle(hex('80027d7100580100000078710163706f7369780a73797374656d0a7102580a0000006563686f2070776e65647103857104527105732e'), 'evil.pkl');
    const x = (v as PickleDict).get('x') as PickleObject;
    expect(x).toBeInstanceOf(PickleObject);
    expect((x.callable as PickleGlobal).qualifiedName).toBe('posix.system');
    expect(x.args).toEqual(['echo pwned']);
  });

  it('turns an unknown class with state (argparse.Namespace via NEWOBJ + BUILD) into a placeholder', () => {
    const v = unpickle(
      hex('80027d710058040000006172677371016361726770617273650a4e616d6573706163650a7102298171037d71042858020000006c727105473fb999999999999a58040000006e616d657106580300000072756e71077562732e'),
      'ns.pkl',
    );
    const ns = (v as PickleDict).get('args') as PickleObject;
    expect((ns.callable as PickleGlobal).qualifiedName).toBe('argparse.Namespace');
    expect(toPlain(ns.state)).toEqual({ lr: 0.1, name: 'run' });
    expect(toPlain(v)).toEqual({ args: '<argparse.Namespace object>' });
  });

  it('round-trips what PickleEncoder writes, memo, LONG1 and OrderedDict state included', () => {
    const enc = new PickleEncoder();
    const dictSlot = enc.global('collections', 'OrderedDict').op(OP.EMPTY_TUPLE).op(OP.REDUCE).put();
    enc.op(OP.MARK);
    enc.str('ints').op(OP.MARK).int(0).int(255).int(256).int(65535).int(65536).int(-1).int(2 ** 31 - 1).int(-(2 ** 31)).int(2 ** 40).int(-(2n ** 63n)).int(2n ** 64n).op(OP.TUPLE);
    enc.str('floats').float(1).float(-0.5).float(Infinity).op(OP.TUPLE3);
    enc.str('bytes').bytesValue(new Uint8Array([1, 2, 250]));
    enc.str('again').get(dictSlot); // the dict itself via its memo slot: a cycle, kept as the same object
    enc.op(OP.SETITEMS);
    enc.op(OP.EMPTY_DICT).str('_metadata').int(7).op(OP.SETITEM).op(OP.BUILD);
    const v = unpickle(enc.stop(), 'enc.pkl') as PickleDict;
    expect(v.get('ints')).toEqual([0, 255, 256, 65535, 65536, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 40, -(2n ** 63n), 2n ** 64n]);
    expect(v.get('floats')).toEqual([1, -0.5, Infinity]);
    expect(v.get('bytes')).toEqual(new Uint8Array([1, 2, 250]));
    expect(v.get('again')).toBe(v);
    expect([...v.items.keys()]).toEqual(['ints', 'floats', 'bytes', 'again']); // _metadata is state, not an item
    expect(toPlain(v.state)).toEqual({ _metadata: 7 });
    expect(new PyFloat(2).value).toBe(2);
  });

  it('rejects an unknown opcode, naming the file, the offset and the last name read', () => {
    const enc = new PickleEncoder();
    enc.op(OP.EMPTY_DICT).str('blocks.0.weight').raw(0xff);
    expectStudioError(() => unpickle(enc.stop(), 'model.ckpt (archive/data.pkl)'), 'WEIGHTS_CORRUPT', 'model.ckpt (archive/data.pkl)', '0xff', 'blocks.0.weight');
  });

  it('rejects pickles that end early, underflow the stack, or read an unset memo', () => {
    const cut = hex(CPYTHON[2]).subarray(0, 40);
    expectStudioError(() => unpickle(cut, 'cut.pkl'), 'WEIGHTS_CORRUPT', 'cut.pkl', 'ends early');
    expectStudioError(() => unpickle(Uint8Array.of(0x80, 2, OP.SETITEM, OP.STOP), 'under.pkl'), 'WEIGHTS_CORRUPT', 'under.pkl', 'underflow');
    expectStudioError(() => unpickle(Uint8Array.of(0x80, 2, 0x68, 9, OP.STOP), 'memo.pkl'), 'WEIGHTS_CORRUPT', 'memo.pkl', 'memo 9');
    expectStudioError(() => unpickle(Uint8Array.of(0x80, 2, OP.NONE, 0x51, OP.STOP), 'pid.pkl'), 'WEIGHTS_UNSUPPORTED', 'pid.pkl', 'persistent id');
  });
});
