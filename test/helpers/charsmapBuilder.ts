/**
 * Builds a small SentencePiece `precompiled_charsmap` blob (darts-clone double array + NUL-ended
 * replacement strings) from rules, so the charsmap reader can be tested without a real model.
 * Tests only; the layout is the one spm_precompiled reads (see precompiledCharsmap.ts).
 */
interface TrieNode {
  children: Map<number, TrieNode>;
  value: number | null;
}

export function buildCharsmap(rules: Record<string, string>): Uint8Array {
  const encoder = new TextEncoder();
  const strings: number[] = [];
  const root: TrieNode = { children: new Map(), value: null };
  for (const [from, to] of Object.entries(rules)) {
    const offset = strings.length;
    strings.push(...encoder.encode(to), 0);
    let node = root;
    for (const byte of encoder.encode(from)) {
      let child = node.children.get(byte);
      if (!child) node.children.set(byte, (child = { children: new Map(), value: null }));
      node = child;
    }
    node.value = offset;
  }

  const units: number[] = [0];
  const used = new Set<number>([0]);
  const place = (node: TrieNode, pos: number): void => {
    const slots = [...node.children.keys()];
    if (node.value !== null) slots.push(0);
    if (slots.length === 0) return;
    let offset = 1;
    while (slots.some((c) => used.has(pos ^ offset ^ c))) offset++;
    if (offset >= 1 << 21) throw new Error('test charsmap too large for the short offset form');
    units[pos] = ((units[pos] ?? 0) | (offset << 10)) >>> 0;
    for (const c of slots) {
      used.add(pos ^ offset ^ c);
      while (units.length <= (pos ^ offset ^ c)) units.push(0);
    }
    if (node.value !== null) units[pos ^ offset] = (0x80000000 | node.value) >>> 0;
    for (const [c, child] of node.children) {
      const childPos = pos ^ offset ^ c;
      units[childPos] = (c | (child.value !== null ? 1 << 8 : 0)) >>> 0;
      place(child, childPos);
    }
  };
  place(root, 0);

  const blob = new Uint8Array(4 + units.length * 4 + strings.length);
  const view = new DataView(blob.buffer);
  view.setUint32(0, units.length * 4, true);
  units.forEach((u, i) => view.setUint32(4 + 4 * i, u, true));
  blob.set(strings, 4 + units.length * 4);
  return blob;
}
