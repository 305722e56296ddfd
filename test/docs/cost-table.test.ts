import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The cost tables in README.md and README.ja.md: each line's amount is its quantity (the product of the numbers in
 * the quantity cell outside parentheses) times its unit price (the first number in the price cell), to the cent; the totals are the sums;
 * each option's total is the region's total plus the option's change; both languages carry the same amounts.
 */
const ROOT = join(__dirname, '..', '..');
export const README_FILES = ['README.md', 'README.ja.md'];

interface Line {
  cells: string[];
  quantity: number | undefined;
  price: number | undefined;
  amount: number | undefined;
  bold: boolean;
}

/** Numbers in a cell: ASCII or Unicode minus, thousands separators allowed. */
function numbersIn(cell: string): number[] {
  return [...cell.replace(/(\d),(\d{3})/g, '$1$2').matchAll(/[-−]?\d+(?:\.\d+)?/g)].map((m) => Number(m[0].replace('−', '-')));
}

function parseRows(block: string, quantityColumn: number): Line[] {
  return block
    .split('\n')
    .filter((l) => l.trim().startsWith('|'))
    .slice(2) // header and separator
    .map((row) => {
      const cells = row.trim().replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
      // Parentheses explain a quantity ("5 (50,000 requests)" at a price per 10,000) and do not count.
      const q = numbersIn(cells[quantityColumn].replace(/\([^)]*\)/g, ''));
      const p = numbersIn(cells[quantityColumn + 1]);
      const a = numbersIn(cells[quantityColumn + 2]);
      return {
        cells,
        quantity: q.length > 0 ? q.reduce((x, y) => x * y, 1) : undefined,
        price: p[0],
        amount: a[0],
        bold: /\*\*/.test(cells[quantityColumn + 2]),
      };
    });
}

const cents = (x: number) => Math.round(x * 100 + Math.sign(x) * 1e-7);

export function blocks(markdown: string, kind: 'cost-table' | 'cost-options'): Map<string, string> {
  const found = new Map<string, string>();
  const re = new RegExp(`<!-- ${kind}: ([a-z0-9-]+) -->([\\s\\S]*?)<!-- /${kind} -->`, 'g');
  for (const m of markdown.matchAll(re)) {
    if (found.has(m[1])) throw new Error(`two ${kind} blocks for ${m[1]}`);
    found.set(m[1], m[2]);
  }
  return found;
}

/** Checks a region table and returns its lines' amounts and its total, in cents. */
export function checkCostTable(block: string): { amounts: number[]; total: number } {
  const rows = parseRows(block, 1);
  const totalRow = rows[rows.length - 1];
  const lines = rows.slice(0, -1);
  expect(totalRow.bold).toBe(true);
  expect(lines.length).toBeGreaterThan(0);
  const amounts = lines.map((l) => {
    if (l.quantity === undefined || l.price === undefined || l.amount === undefined) throw new Error(`incomplete line: ${l.cells.join(' | ')}`);
    if (cents(l.quantity * l.price) !== cents(l.amount)) {
      throw new Error(`${l.cells[0]}: ${l.cells[1]} × ${l.cells[2]} is ${(l.quantity * l.price).toFixed(4)}, not ${l.amount}`);
    }
    return cents(l.amount);
  });
  const total = amounts.reduce((a, b) => a + b, 0);
  expect(cents(totalRow.amount!)).toBe(total);
  return { amounts, total };
}

/** Checks an options table against its region's total; returns each option's change and total, in cents. */
export function checkCostOptions(block: string, regionTotal: number): Array<{ change: number; total: number }> {
  const rows = parseRows(block, 2);
  const options: Array<{ change: number; total: number }> = [];
  let lines: number[] = [];
  let change: number | undefined;
  for (const row of rows) {
    if (row.cells[0] !== '') {
      expect(lines).toEqual([]);
      change = undefined;
    }
    if (!row.bold) {
      if (row.quantity === undefined || row.price === undefined || row.amount === undefined) throw new Error(`incomplete line: ${row.cells.join(' | ')}`);
      if (cents(row.quantity * row.price) !== cents(row.amount)) {
        throw new Error(`${row.cells[1]}: ${row.cells[2]} × ${row.cells[3]} is ${(row.quantity * row.price).toFixed(4)}, not ${row.amount}`);
      }
      lines.push(cents(row.amount));
    } else if (change === undefined) {
      change = lines.reduce((a, b) => a + b, 0);
      expect([row.cells[1], cents(row.amount!)]).toEqual([row.cells[1], change]);
    } else {
      expect([row.cells[1], cents(row.amount!)]).toEqual([row.cells[1], regionTotal + change]);
      options.push({ change, total: regionTotal + change });
      lines = [];
    }
  }
  expect(lines).toEqual([]);
  return options;
}

describe('cost tables in the READMEs', () => {
  const readmes = README_FILES.map((f) => [f, readFileSync(join(ROOT, f), 'utf8')] as const);

  test.each(README_FILES)('%s: every line is quantity × unit price, totals are sums, options add to the totals', (file) => {
    const markdown = readmes.find(([f]) => f === file)![1];
    const tables = blocks(markdown, 'cost-table');
    const options = blocks(markdown, 'cost-options');
    expect([...tables.keys()].sort()).toEqual(['ap-northeast-1', 'us-east-1']);
    expect([...options.keys()].sort()).toEqual(['ap-northeast-1', 'us-east-1']);
    for (const [region, block] of tables) {
      const { amounts, total } = checkCostTable(block);
      expect(amounts.length).toBeGreaterThan(10);
      expect(checkCostOptions(options.get(region)!, total).length).toBeGreaterThanOrEqual(3);
    }
  });

  test('both languages show the same amounts', () => {
    const amountsOf = (markdown: string) => {
      const tables = blocks(markdown, 'cost-table');
      const options = blocks(markdown, 'cost-options');
      return [...tables].map(([region, block]) => {
        const table = checkCostTable(block);
        return { region, table, options: checkCostOptions(options.get(region)!, table.total) };
      });
    };
    const [english, japanese] = readmes.map(([, markdown]) => amountsOf(markdown));
    expect(english).toHaveLength(2);
    expect(japanese).toEqual(english);
  });

  test('the checks catch a wrong line, a wrong total and a wrong option total', () => {
    const table = [
      '| item | quantity | unit price | USD / month | source |',
      '|---|---|---|---|---|',
      '| a | 2 × 730 h | 0.005 / h | 7.30 | x |',
      '| b | 2 (20,000 requests) | 5.00 / 10,000 requests | 10.00 | x |',
      '| **total** | | | **17.30** | |',
    ].join('\n');
    expect(checkCostTable(table).total).toBe(1730);
    expect(() => checkCostTable(table.replace('7.30', '7.31'))).toThrow(/2 × 730 h × 0.005/);
    expect(() => checkCostTable(table.replace('**17.30**', '**17.40**'))).toThrow();
    const options = [
      '| option | line | quantity | unit price | USD / month |',
      '|---|---|---|---|---|',
      '| o | x | −2 × 10 h | 0.5 / h | −10.00 |',
      '| | **change** | | | **−10.00** |',
      '| | **total** | | | **7.30** |',
    ].join('\n');
    expect(checkCostOptions(options, 1730)).toEqual([{ change: -1000, total: 730 }]);
    expect(() => checkCostOptions(options.replace('**7.30**', '**7.40**'), 1730)).toThrow();
  });
});
