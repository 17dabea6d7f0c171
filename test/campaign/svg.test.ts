import { parseTransform, readSvg } from '../../src/campaign/svg';

const anyPath = (d: string) => /^\s*[Mm]/.test(d);

describe('an SVG signature is drawn as it looks', () => {
  it('reads a traced signature (potrace): filled paths in a group that flips and scales them', () => {
    const svg = `<?xml version="1.0" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 20010904//EN" "http://www.w3.org/TR/2001/REC-SVG-20010904/DTD/svg10.dtd">
<svg version="1.0" xmlns="http://www.w3.org/2000/svg" width="300pt" height="100pt" viewBox="0 0 300 100">
<metadata>Created by potrace</metadata>
<g transform="translate(0,100) scale(0.1,-0.1)" fill="#000000" stroke="none">
<path d="M200 700 C 400 900 700 300 1000 600 Z"/>
<path d="M300 250 L 2600 330 L 2600 300 Z"/>
</g>
</svg>`;
    const drawing = readSvg(svg, anyPath);
    expect(drawing.viewBox).toEqual([0, 0, 300, 100]);
    expect(drawing.paths).toHaveLength(2);
    for (const p of drawing.paths) {
      expect(p).toMatchObject({ fill: '#000000', matrix: [0.1, 0, 0, -0.1, 0, 100] });
      expect(p.stroke).toBeUndefined();
    }
  });

  it('reads an editor\'s styles and transforms (Inkscape), and the strokes of a hand-written one', () => {
    const drawing = readSvg(
      `<svg xmlns="http://www.w3.org/2000/svg" xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" width="200" height="80">
        <sodipodi:namedview pagecolor="#ffffff"/>
        <defs><path id="unused" d="M0 0 L 1 1"/></defs>
        <g transform="translate(10,5)" style="stroke:#1B2A5C">
          <path style="fill:none;stroke-width:2.5px" transform="rotate(90)" d="M0 0 L 10 0"/>
          <path fill="rgb(0, 0, 128)" fill-rule="evenodd" d="M0 0 L 10 0 L 10 10 Z"/>
        </g>
        <path class="com.sun.star.drawing.PolyPolygonShape" d="M1 1 L 5 5"/>
      </svg>`,
      anyPath,
    );
    // No viewBox: the width and height are its units.
    expect(drawing.viewBox).toEqual([0, 0, 200, 80]);
    const [rotated, filled, bare] = drawing.paths;
    expect(rotated).toMatchObject({ stroke: '#1b2a5c', width: 2.5 });
    expect(rotated.fill).toBeUndefined();
    rotated.matrix!.forEach((v, i) => expect(v).toBeCloseTo([0, 1, -1, 0, 10, 5][i], 12));
    expect(filled).toMatchObject({ fill: '#000080', stroke: '#1b2a5c', width: 1, evenOdd: true, matrix: [1, 0, 0, 1, 10, 5] });
    // A bare path, paint nowhere: stroked, 2 units wide, as lettermerge always drew it.
    expect(bare).toEqual({ d: 'M1 1 L 5 5', width: 2 });
    expect(drawing.paths).toHaveLength(3);
  });

  it('leaves out what an editor hides (a layer with display:none, a path with visibility="hidden")', () => {
    const drawing = readSvg(
      `<svg viewBox="0 0 9 9">
        <g style="display:none"><path d="M0 0 L 9 9"/><circle r="3"/></g>
        <path visibility="hidden" d="M0 9 L 9 0"/>
        <path d="M1 1 L 2 2"/>
      </svg>`,
      anyPath,
    );
    expect(drawing.paths.map((p) => p.d)).toEqual(['M1 1 L 2 2']);
  });

  it.each([
    ['<svg viewBox="0 0 9 9"><svg x="3" viewBox="0 0 1 1"><path d="M0 0 L 1 1"/></svg></svg>', 'has an <svg> inside it'],
    ['<svg viewBox="0 0 9 9"><g clip-path="url(#c)"><path d="M0 0 L 1 1"/></g></svg>', 'has a clip-path, which lettermerge does not apply'],
    ['<svg viewBox="0 0 9 9"><path fill="url(#g)" d="M0 0 L 1 1"/></svg>', 'has the fill colour "url(#g)", which lettermerge does not read: write it as #rrggbb'],
    ['<svg viewBox="0 0 9 9"><path transform="perspective(2)" d="M0 0 L 1 1"/></svg>', 'has a transform "perspective(2)" that lettermerge cannot read'],
    ['<svg viewBox="0 0 9 9"><image href="file:///etc/hostname"/><path d="M0 0 L 1 1"/></svg>', 'has a <image>, which lettermerge does not draw'],
    ['<html><path d="M0 0 L 1 1"/></html>', 'is not an SVG file (its root element is <html>)'],
    ['<svg viewBox="0 0 9 9"><path d="M0 0 L 1 1"></svg>', 'is not well-formed XML'],
  ])('refuses what it would not draw as it looks: %s', (svg, message) => {
    expect(() => readSvg(svg, anyPath)).toThrow(message);
  });

  it('refuses more path data than a signature needs (every letter carries it)', () => {
    const path = '<path d="M0 0 L 1 1 L 2 2 L 3 3 L 4 4 L 5 5 L 6 6 L 7 7"/>';
    expect(readSvg(`<svg viewBox="0 0 9 9">${path.repeat(5000)}</svg>`, anyPath).paths).toHaveLength(5000);
    expect(() => readSvg(`<svg viewBox="0 0 9 9">${path.repeat(6000)}</svg>`, anyPath)).toThrow('has 270 kB of path data, far more than a drawn signature needs (at most 256 kB)');
  });

  it('reads transform lists as SVG composes them, left to right', () => {
    expect(parseTransform('translate(10 20) scale(2)')).toEqual([2, 0, 0, 2, 10, 20]);
    expect(parseTransform('matrix(1,0,0,1,3,4), translate(1)')).toEqual([1, 0, 0, 1, 4, 4]);
    expect(parseTransform('scale(2) nonsense')).toBeUndefined();
  });
});
