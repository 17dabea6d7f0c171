import { SaxesParser } from 'saxes';
import type { SaxesTagPlain } from 'saxes';

/** A 2-D affine transform, as PDF's cm operator and SVG's matrix() take it: [a b c d e f]. */
export type Matrix = [number, number, number, number, number, number];

/** One path of a vector signature, with how it is painted. */
export interface SvgPath {
  d: string;
  /** The fill colour (#rrggbb); absent: not filled. */
  fill?: string;
  /** The stroke colour (#rrggbb); absent: not stroked, unless the path is neither filled nor stroked (see readSvg). */
  stroke?: string;
  /** The stroke width, in the path's own units. */
  width: number;
  evenOdd?: boolean;
  /** The transforms of the path and the groups around it, combined; absent when there are none. */
  matrix?: Matrix;
}

/** What an SVG signature is drawn from: its view box and its paths, in document order. */
export interface SvgDrawing {
  viewBox: [number, number, number, number];
  paths: SvgPath[];
}

/** An SVG that lettermerge would not draw as it looks: what is wrong, said after "the signature image". */
export class SvgProblem extends Error {}

/** Elements with nothing drawn inside them (or drawn only by reference), skipped whole. */
const NOT_DRAWN = new Set(['title', 'desc', 'metadata', 'defs', 'symbol', 'clipPath', 'mask', 'marker', 'pattern', 'linearGradient', 'radialGradient', 'filter']);
/** Elements that draw, other than path: refused rather than left out of the signature. */
const OTHER_SHAPES = new Set(['circle', 'ellipse', 'rect', 'line', 'polyline', 'polygon', 'text', 'image', 'use', 'foreignObject', 'switch']);

const NAMED: Record<string, string> = {
  black: '#000000',
  white: '#ffffff',
  navy: '#000080',
  blue: '#0000ff',
  darkblue: '#00008b',
  midnightblue: '#191970',
  mediumblue: '#0000cd',
  royalblue: '#4169e1',
  gray: '#808080',
  grey: '#808080',
  dimgray: '#696969',
  dimgrey: '#696969',
  darkslategray: '#2f4f4f',
  darkslategrey: '#2f4f4f',
};

/** A colour as #rrggbb, 'none', or undefined when it is not one lettermerge reads. */
function colour(value: string): string | undefined {
  const v = value.trim().toLowerCase();
  if (v === 'none' || v === 'transparent') return 'none';
  if (/^#[0-9a-f]{6}$/.test(v)) return v;
  if (/^#[0-9a-f]{3}$/.test(v)) return `#${v[1]}${v[1]}${v[2]}${v[2]}${v[3]}${v[3]}`;
  const rgb = /^rgb\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)$/.exec(v);
  if (rgb && rgb.slice(1).every((n) => Number(n) <= 255)) return `#${rgb.slice(1).map((n) => Number(n).toString(16).padStart(2, '0')).join('')}`;
  return NAMED[v];
}

const NUMBER = /[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/g;

function multiply(m: Matrix, n: Matrix): Matrix {
  return [m[0] * n[0] + m[2] * n[1], m[1] * n[0] + m[3] * n[1], m[0] * n[2] + m[2] * n[3], m[1] * n[2] + m[3] * n[3], m[0] * n[4] + m[2] * n[5] + m[4], m[1] * n[4] + m[3] * n[5] + m[5]];
}

/** An SVG transform list (matrix, translate, scale, rotate, skewX, skewY) as one matrix; undefined when it cannot be read. */
export function parseTransform(text: string): Matrix | undefined {
  let m: Matrix = [1, 0, 0, 1, 0, 0];
  const re = /\s*(matrix|translate|scale|rotate|skewX|skewY)\s*\(([^)]*)\)\s*,?/y;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    re.lastIndex = at;
    const f = re.exec(text);
    if (!f) return undefined;
    at = re.lastIndex;
    const a = (f[2].match(NUMBER) ?? []).map(Number);
    const rad = (deg: number) => (deg * Math.PI) / 180;
    let n: Matrix | undefined;
    switch (f[1]) {
      case 'matrix':
        if (a.length === 6) n = a as Matrix;
        break;
      case 'translate':
        if (a.length === 1 || a.length === 2) n = [1, 0, 0, 1, a[0], a[1] ?? 0];
        break;
      case 'scale':
        if (a.length === 1 || a.length === 2) n = [a[0], 0, 0, a[1] ?? a[0], 0, 0];
        break;
      case 'rotate':
        if (a.length === 1 || a.length === 3) {
          const [c, s] = [Math.cos(rad(a[0])), Math.sin(rad(a[0]))];
          const [cx, cy] = [a[1] ?? 0, a[2] ?? 0];
          n = multiply(multiply([1, 0, 0, 1, cx, cy], [c, s, -s, c, 0, 0]), [1, 0, 0, 1, -cx, -cy]);
        }
        break;
      case 'skewX':
        if (a.length === 1) n = [1, 0, Math.tan(rad(a[0])), 1, 0, 0];
        break;
      case 'skewY':
        if (a.length === 1) n = [1, Math.tan(rad(a[0])), 0, 1, 0, 0];
        break;
    }
    if (!n || n.some((x) => !Number.isFinite(x))) return undefined;
    m = multiply(m, n);
  }
  return m;
}

/**
 * The most path data a signature may have. Every letter carries it: a traced signature takes 5 to
 * 50 kB, and an SVG of 4.5 MB (within the file size allowed) made each letter a PDF of 1.5 MB at
 * 1.6 letters a second.
 */
const MAX_PATH_DATA = 256 * 1024;

/** What a path inherits from the groups around it (SVG's presentation attributes and style properties). */
interface Paint {
  fill?: string;
  stroke?: string;
  width?: number;
  evenOdd?: boolean;
  matrix?: Matrix;
}

const PAINT_PROPERTIES = ['fill', 'stroke', 'stroke-width', 'fill-rule'];

/** A property of an element, from its style="…" (which wins) or its attribute of that name. */
function property(attrs: Record<string, string>, key: string): string | undefined {
  for (const decl of (attrs.style ?? '').split(';')) {
    const i = decl.indexOf(':');
    if (i >= 0 && decl.slice(0, i).trim() === key) return decl.slice(i + 1).trim();
  }
  return attrs[key]?.trim();
}

/** The sides of an SVG's view, in its units, that lettermerge draws (scaled into the signature's box). */
const MIN_VIEW = 0.01;
const MAX_VIEW = 1_000_000;

/**
 * Reads an SVG signature: its paths, each with the fill, stroke and transforms SVG gives it
 * (attributes and style="…" properties, inherited from the groups around it). Throws SvgProblem
 * for what would not be drawn as it looks: another kind of shape, CSS classes, a clip or a mask,
 * a colour or transform that cannot be read. A path neither filled nor stroked anywhere (a bare
 * <path d="…">) is stroked 2 units wide, as lettermerge drew every path before it read paint.
 */
export function readSvg(text: string, isPathData: (d: string) => boolean): SvgDrawing {
  const parser = new SaxesParser({ xmlns: false, position: false });
  const stack: (Paint & { skip: boolean })[] = [];
  const paths: SvgPath[] = [];
  let viewBox: [number, number, number, number] | undefined;
  let root = true;
  let problem: string | undefined;
  const refuse = (message: string) => {
    problem ??= message;
  };
  parser.on('opentag', (tag: SaxesTagPlain) => {
    const parent = stack[stack.length - 1] ?? { skip: false };
    const name = tag.name.includes(':') ? '' : tag.name;
    const attrs = tag.attributes as Record<string, string>;
    if (root) {
      root = false;
      if (tag.name !== 'svg') refuse(`is not an SVG file (its root element is <${tag.name}>)`);
      const vb = attrs.viewBox;
      if (vb !== undefined) {
        const box = vb.trim().split(/[\s,]+/).map(Number);
        if (box.length !== 4 || box.some((n) => !Number.isFinite(n)) || box[2] <= 0 || box[3] <= 0) refuse(`has a viewBox that is not four numbers with a positive width and height ("${vb}")`);
        else viewBox = box as [number, number, number, number];
      } else {
        const w = parseFloat(attrs.width ?? '');
        const h = parseFloat(attrs.height ?? '');
        viewBox = w > 0 && h > 0 ? [0, 0, w, h] : [0, 0, 300, 100];
      }
      // Fitted into the signature's box, a drawing of 1e308 units came out as nothing (a scale of
      // 0), and one of 1e-300 as a scale no PDF number can hold.
      if (viewBox && !viewBox.slice(2).every((n) => n >= MIN_VIEW && n <= MAX_VIEW)) {
        refuse(`is ${viewBox[2]} × ${viewBox[3]} units (its viewBox, or width and height), which would be drawn too small or too large to see: a drawing program's SVG is some tens to thousands of units a side`);
      }
    }
    // A hidden layer (an editor's scan or guide, display:none) is not part of the signature.
    const hidden = property(attrs, 'display') === 'none' || property(attrs, 'visibility') === 'hidden';
    const skip = parent.skip || !name || NOT_DRAWN.has(name) || hidden;
    const paint: Paint & { skip: boolean } = { ...parent, skip };
    stack.push(paint);
    if (skip) return;
    if (name === 'svg' && stack.length > 1) return refuse('has an <svg> inside it, whose own view box lettermerge does not apply: save it as one drawing, or use a PNG');
    if (OTHER_SHAPES.has(name)) return refuse(`has a <${name}>, which lettermerge does not draw: turn it into a path (in Inkscape, Path > Object to Path), or use a PNG`);
    // A class alone paints nothing (LibreOffice names every shape with one); a <style> sheet does.
    if (name === 'style') return refuse('is styled by CSS classes (<style>), which lettermerge does not read: save it with presentation attributes (in Illustrator, Styling: Presentation Attributes), or use a PNG');
    for (const key of ['clip-path', 'mask', 'filter']) {
      if (attrs[key] !== undefined && attrs[key] !== 'none') return refuse(`has a ${key}, which lettermerge does not apply: remove it, or use a PNG`);
    }
    const props: Record<string, string> = {};
    for (const key of PAINT_PROPERTIES) {
      const v = property(attrs, key);
      if (v !== undefined) props[key] = v;
    }
    for (const key of ['fill', 'stroke'] as const) {
      const v = props[key];
      if (v === undefined || v === 'inherit') continue;
      const c = colour(v);
      if (c === undefined) return refuse(`has the ${key} colour "${v}", which lettermerge does not read: write it as #rrggbb`);
      paint[key] = c;
    }
    if (props['stroke-width'] !== undefined) {
      const w = parseFloat(props['stroke-width']);
      if (!(w >= 0)) return refuse(`has a stroke-width "${props['stroke-width']}" that is not a number`);
      paint.width = w;
    }
    if (props['fill-rule'] !== undefined) paint.evenOdd = props['fill-rule'].trim() === 'evenodd';
    if (attrs.transform !== undefined) {
      const m = parseTransform(attrs.transform);
      if (!m) return refuse(`has a transform "${attrs.transform.slice(0, 60)}" that lettermerge cannot read`);
      paint.matrix = paint.matrix ? multiply(paint.matrix, m) : m;
    }
    if (name !== 'path') return;
    const d = attrs.d;
    if (d === undefined || d.trim() === '') return;
    if (!isPathData(d)) return refuse(`has a <path> whose d="${d.slice(0, 40)}${d.length > 40 ? '…' : ''}" is not path data`);
    const fill = paint.fill && paint.fill !== 'none' ? paint.fill : undefined;
    const stroke = paint.stroke && paint.stroke !== 'none' ? paint.stroke : undefined;
    // Neither given anywhere: stroked, as before paint was read (a hand-written <path d="…">).
    const bare = paint.fill === undefined && paint.stroke === undefined;
    if (!fill && !stroke && !bare) return;
    paths.push({
      d,
      ...(fill ? { fill } : {}),
      ...(stroke ? { stroke } : {}),
      width: paint.width ?? (bare ? 2 : 1),
      ...(paint.evenOdd ? { evenOdd: true } : {}),
      ...(paint.matrix ? { matrix: paint.matrix } : {}),
    });
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  try {
    parser.write(text).close();
  } catch (err) {
    throw new SvgProblem(`is not well-formed XML (${(err instanceof Error ? err.message : String(err)).split('\n')[0]})`);
  }
  if (problem) throw new SvgProblem(problem);
  const data = paths.reduce((n, p) => n + p.d.length, 0);
  if (data > MAX_PATH_DATA) {
    throw new SvgProblem(`has ${Math.round(data / 1024)} kB of path data, far more than a drawn signature needs (at most ${MAX_PATH_DATA / 1024} kB): simplify it (in Inkscape, Path > Simplify), or use a PNG`);
  }
  if (root) throw new SvgProblem('is not an SVG file (there is no <svg> element)');
  if (paths.length === 0) throw new SvgProblem('needs at least one <path d="…"> (lettermerge draws the paths of an SVG, nothing else)');
  return { viewBox: viewBox!, paths };
}
