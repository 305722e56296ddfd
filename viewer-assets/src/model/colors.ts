/**
 * Series colours. A publisher's colour is derived from its name (not its place in a list), so the same Pi has the
 * same colour in every dashboard, chart, legend, tooltip and health row. Hues from the Okabe–Ito and Paul Tol
 * palettes (distinguishable with the common colour-vision deficiencies): the reader in a dark shade (solid line),
 * the writer in a light one (dashed). The playback cursor has its own colour, which no series uses.
 */

export const PALETTE: ReadonlyArray<{ reader: string; writer: string }> = [
  { reader: '#0072B2', writer: '#56B4E9' },
  { reader: '#D55E00', writer: '#E69F00' },
  { reader: '#007A5A', writer: '#3FC49A' },
  { reader: '#A0467A', writer: '#DDA0C4' },
  { reader: '#7A6C00', writer: '#D8C530' },
  { reader: '#332288', writer: '#8877DD' },
  { reader: '#0F6F80', writer: '#66CCEE' },
  { reader: '#882255', writer: '#CC6677' },
];

/** Playback position and the shared hover line: black, unlike every series. */
export const CURSOR_COLOR = '#000000';

/** FNV-1a over the UTF-16 code units, then a final mix so similar names (pi-01, pi-02) land apart. */
function hash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export function publisherColors(publisher: string): { reader: string; writer: string } {
  return PALETTE[hash(publisher) % PALETTE.length];
}

export function seriesColor(s: { publisher: string; side: 'reader' | 'writer' }): string {
  return publisherColors(s.publisher)[s.side];
}
