/**
 * A restricted reader of Python pickles: lists, tuples, byte strings, booleans, small ints and
 * None — all an insightface verification .bin holds. It never imports or calls anything: any
 * other opcode (GLOBAL, REDUCE, BUILD, ...) is an error naming it and its offset.
 */

export type PickleValue = Uint8Array | boolean | number | null | PickleValue[];

const MARK = Symbol('mark');
type Slot = PickleValue | typeof MARK;

const NAMES: Record<number, string> = {
  0x63: 'GLOBAL',
  0x93: 'STACK_GLOBAL',
  0x52: 'REDUCE',
  0x62: 'BUILD',
  0x81: 'NEWOBJ',
  0x69: 'INST',
  0x6f: 'OBJ',
  0x7d: 'EMPTY_DICT',
  0x58: 'BINUNICODE',
  0x8c: 'SHORT_BINUNICODE',
  0x47: 'BINFLOAT',
  0x8a: 'LONG1',
};

export function unpickle(buf: Uint8Array, what: string): PickleValue {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const stack: Slot[] = [];
  const memo = new Map<number, PickleValue>();
  let pos = 0;
  const need = (n: number) => {
    if (pos + n > buf.length) throw new Error(`${what}: pickle truncated at byte ${pos}`);
  };
  const u8 = () => (need(1), buf[pos++]);
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const bytes = (n: number) => (need(n), (pos += n), buf.slice(pos - n, pos));
  const line = () => {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) throw new Error(`${what}: pickle truncated at byte ${pos}`);
    const s = Buffer.from(buf.subarray(pos, end)).toString('latin1');
    pos = end + 1;
    return s;
  };
  const pop = (): PickleValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) throw new Error(`${what}: malformed pickle (stack underflow at byte ${pos})`);
    return v;
  };
  const popMark = (): PickleValue[] => {
    const k = stack.lastIndexOf(MARK);
    if (k < 0) throw new Error(`${what}: malformed pickle (no MARK before byte ${pos})`);
    return stack.splice(k).slice(1) as PickleValue[];
  };
  const top = (): PickleValue[] => {
    const l = stack[stack.length - 1];
    if (!Array.isArray(l)) throw new Error(`${what}: malformed pickle (APPEND to a non-list at byte ${pos})`);
    return l;
  };
  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80:
        u8();
        break; // PROTO
      case 0x95:
        bytes(8);
        break; // FRAME: framing only
      case 0x2e: {
        // STOP
        const v = pop();
        if (stack.length) throw new Error(`${what}: malformed pickle (${stack.length} values left at STOP)`);
        return v;
      }
      case 0x28:
        stack.push(MARK);
        break;
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x29:
        stack.push([]);
        break; // EMPTY_TUPLE
      case 0x6c:
      case 0x74:
        stack.push(popMark());
        break; // LIST, TUPLE
      case 0x85:
        stack.push([pop()]);
        break; // TUPLE1
      case 0x86: {
        const b = pop();
        stack.push([pop(), b]);
        break;
      } // TUPLE2
      case 0x87: {
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      } // TUPLE3
      case 0x61: {
        const v = pop();
        top().push(v);
        break;
      } // APPEND
      case 0x65: {
        const vs = popMark();
        top().push(...vs);
        break;
      } // APPENDS
      case 0x42:
      case 0x54:
        stack.push(bytes(u32()));
        break; // BINBYTES, BINSTRING (Python 2 str)
      case 0x43:
      case 0x55:
        stack.push(bytes(u8()));
        break; // SHORT_BINBYTES, SHORT_BINSTRING
      case 0x8e: {
        const lo = u32();
        const hi = u32();
        if (hi) throw new Error(`${what}: byte string over 4 GB at byte ${at}`);
        stack.push(bytes(lo));
        break;
      }
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x4e:
        stack.push(null);
        break;
      case 0x4b:
        stack.push(u8());
        break; // BININT1
      case 0x4d:
        need(2);
        stack.push(view.getUint16(pos, true));
        pos += 2;
        break; // BININT2
      case 0x4a:
        need(4);
        stack.push(view.getInt32(pos, true));
        pos += 4;
        break; // BININT
      case 0x49: {
        const s = line();
        stack.push(s === '01' ? true : s === '00' ? false : parseIntStrict(s, what, at));
        break;
      } // INT
      case 0x94:
        memo.set(memo.size, peek(stack, what, at));
        break; // MEMOIZE
      case 0x71:
        memo.set(u8(), peek(stack, what, at));
        break; // BINPUT
      case 0x72:
        memo.set(u32(), peek(stack, what, at));
        break; // LONG_BINPUT
      case 0x70:
        memo.set(parseIntStrict(line(), what, at), peek(stack, what, at));
        break; // PUT
      case 0x68:
        stack.push(recall(memo, u8(), what, at));
        break; // BINGET
      case 0x6a:
        stack.push(recall(memo, u32(), what, at));
        break; // LONG_BINGET
      case 0x67:
        stack.push(recall(memo, parseIntStrict(line(), what, at), what, at));
        break; // GET
      default: {
        const name = NAMES[op] ? ` (${NAMES[op]})` : '';
        throw new Error(
          `${what}: pickle opcode 0x${op.toString(16).padStart(2, '0')}${name} at byte ${at} is not allowed: only lists and tuples of byte strings, booleans and integers are read (no objects, no code)`,
        );
      }
    }
  }
}

function peek(stack: Slot[], what: string, at: number): PickleValue {
  const v = stack[stack.length - 1];
  if (v === undefined || v === MARK) throw new Error(`${what}: malformed pickle (memo of nothing at byte ${at})`);
  return v;
}

function recall(memo: Map<number, PickleValue>, k: number, what: string, at: number): PickleValue {
  if (!memo.has(k)) throw new Error(`${what}: malformed pickle (memo ${k} unset at byte ${at})`);
  return memo.get(k)!;
}

function parseIntStrict(s: string, what: string, at: number): number {
  if (!/^-?\d+L?$/.test(s)) throw new Error(`${what}: malformed pickle integer '${s}' at byte ${at}`);
  return Number.parseInt(s, 10);
}
