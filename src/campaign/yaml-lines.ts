import { isMap, isPair, isScalar } from 'yaml';
import type { Document, LineCounter, Node as YamlNode } from 'yaml';

/** Keys from a YAML document's top to a node. */
export type KeyPath = (string | number)[];

/**
 * The line (from 1) of the deepest node along `keys` that exists; of the name of `key` under it
 * when `key` is set and found (a block's value starts on the line after its name). 1 when nothing
 * along the path exists.
 */
export function yamlLine(doc: Document, lines: LineCounter, keys: KeyPath, key?: string): number {
  if (key !== undefined) {
    const parent = keys.length ? doc.getIn(keys, true) : doc.contents;
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
      const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
      if (range) return lines.linePos(range[0]).line;
    }
  }
  for (let n = keys.length; n > 0; n--) {
    const node = doc.getIn(keys.slice(0, n), true) as YamlNode | undefined;
    if (node && node.range) return lines.linePos(node.range[0]).line;
  }
  return 1;
}
