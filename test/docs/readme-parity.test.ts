/**
 * README.ja.md must say everything README.md says. What can be checked mechanically is checked here; the rule, also
 * stated at the end of both READMEs:
 * - the same headings: the same number, each at the same level (#, ##, ###), in the same order;
 * - the same fenced code blocks in the same order, with the same info string (sh, bash, mermaid, …). Their text is
 *   identical once shell comments are removed (`#` at the start of a line or after whitespace, to the end of the
 *   line); in `mermaid` blocks only the quoted labels may differ;
 * - the same images (`![alt](path)`, same paths in the same order);
 * - under each heading, the same number of table rows.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Section {
  level: number;
  title: string;
  tableRows: number;
}

interface CodeBlock {
  info: string;
  /** The block's text as compared: comments (or mermaid labels) removed. */
  compared: string;
  firstLine: string;
}

interface Outline {
  sections: Section[];
  codeBlocks: CodeBlock[];
  images: string[];
}

function withoutShellComments(line: string): string {
  return line.replace(/(^|\s)#.*$/, '').trimEnd();
}

function mermaidSkeleton(line: string): string {
  return line
    .replace(/"[^"]*"/g, '')
    .replace(/[[\](){}|]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

export function outline(markdown: string): Outline {
  const sections: Section[] = [{ level: 0, title: '(before the first heading)', tableRows: 0 }];
  const codeBlocks: CodeBlock[] = [];
  const images: string[] = [];
  let fence: { info: string; lines: string[] } | null = null;
  for (const line of markdown.split('\n')) {
    if (fence) {
      if (/^```\s*$/.test(line)) {
        const compare = fence.info === 'mermaid' ? mermaidSkeleton : withoutShellComments;
        codeBlocks.push({ info: fence.info, compared: fence.lines.map(compare).join('\n'), firstLine: fence.lines[0] ?? '' });
        fence = null;
      } else {
        fence.lines.push(line);
      }
      continue;
    }
    const open = /^```(\S*)\s*$/.exec(line);
    if (open) {
      fence = { info: open[1], lines: [] };
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      sections.push({ level: heading[1].length, title: heading[2], tableRows: 0 });
      continue;
    }
    if (/^\s*\|/.test(line)) sections[sections.length - 1].tableRows += 1;
    for (const image of line.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)) images.push(image[1]);
  }
  if (fence) throw new Error(`unclosed code block starting with ${JSON.stringify(fence.lines[0] ?? '')}`);
  return { sections, codeBlocks, images };
}

/** Every way `translation` differs in structure from `original`, one line each; empty when they match. */
export function parityProblems(original: string, translation: string): string[] {
  const en = outline(original);
  const ja = outline(translation);
  const problems: string[] = [];

  const headingCount = Math.max(en.sections.length, ja.sections.length);
  for (let i = 1; i < headingCount; i++) {
    const a = en.sections[i];
    const b = ja.sections[i];
    if (!a || !b || a.level !== b.level) {
      problems.push(
        `heading ${i}: English ${a ? `${'#'.repeat(a.level)} ${a.title}` : '(none)'} vs Japanese ${b ? `${'#'.repeat(b.level)} ${b.title}` : '(none)'}`,
      );
      break; // later headings are all shifted; the first difference is the useful one
    }
  }
  if (problems.length === 0) {
    en.sections.forEach((a, i) => {
      const b = ja.sections[i];
      if (a.tableRows !== b.tableRows) {
        problems.push(`under "${a.title}" / "${b.title}": ${a.tableRows} table rows in English, ${b.tableRows} in Japanese`);
      }
    });
  }

  if (en.codeBlocks.length !== ja.codeBlocks.length) {
    problems.push(`${en.codeBlocks.length} code blocks in English, ${ja.codeBlocks.length} in Japanese`);
  }
  en.codeBlocks.forEach((a, i) => {
    const b = ja.codeBlocks[i];
    if (b && (a.info !== b.info || a.compared !== b.compared)) {
      problems.push(`code block ${i + 1} (English starts ${JSON.stringify(a.firstLine)}) differs from the Japanese one (starts ${JSON.stringify(b.firstLine)})`);
    }
  });

  if (en.images.join('\n') !== ja.images.join('\n')) {
    problems.push(`images differ: English [${en.images.join(', ')}] vs Japanese [${ja.images.join(', ')}]`);
  }
  return problems;
}

describe('README.ja.md keeps in step with README.md', () => {
  const root = join(__dirname, '..', '..');
  const english = readFileSync(join(root, 'README.md'), 'utf8');
  const japanese = readFileSync(join(root, 'README.ja.md'), 'utf8');

  it('has the same headings, code blocks, images and table rows', () => {
    expect(parityProblems(english, japanese)).toEqual([]);
  });

  it('compares something: both READMEs have headings, code blocks, images and tables', () => {
    const en = outline(english);
    expect(en.sections.length).toBeGreaterThan(10);
    expect(en.codeBlocks.length).toBeGreaterThan(5);
    expect(en.images.length).toBeGreaterThan(0);
    expect(en.sections.some((s) => s.tableRows > 0)).toBe(true);
  });
});

describe('the parity rule', () => {
  const en = [
    '# Title',
    '## Deploy',
    '```sh',
    'npx cdk deploy   # takes 2 h',
    '```',
    '| a | b |',
    '|---|---|',
    '| 1 | 2 |',
    '![live](docs/live.png)',
    '```mermaid',
    'flowchart LR',
    '  Pi["Raspberry Pi"] -- "results" --> MSK',
    '  Browser --> CF',
    '```',
  ].join('\n');
  const ja = [
    '# タイトル',
    '## デプロイ',
    '```sh',
    'npx cdk deploy   # 2 時間かかる',
    '```',
    '| a | b |',
    '|---|---|',
    '| 1 | 2 |',
    '![ライブ](docs/live.png)',
    '```mermaid',
    'flowchart LR',
    '  Pi["Raspberry Pi"] -- "計測結果" --> MSK',
    '  Browser["ブラウザ"] --> CF',
    '```',
  ].join('\n');

  it('accepts translated prose, comments and mermaid labels', () => {
    expect(parityProblems(en, ja)).toEqual([]);
  });

  it('reports a heading at another level', () => {
    expect(parityProblems(en, ja.replace('## デプロイ', '### デプロイ'))).toEqual(['heading 2: English ## Deploy vs Japanese ### デプロイ']);
  });

  it('reports a missing heading', () => {
    expect(parityProblems(en, ja.replace('## デプロイ\n', ''))).toEqual(['heading 2: English ## Deploy vs Japanese (none)']);
  });

  it('reports a changed command', () => {
    expect(parityProblems(en, ja.replace('npx cdk deploy ', 'npx cdk deploy --no-rollback '))).toEqual([
      'code block 1 (English starts "npx cdk deploy   # takes 2 h") differs from the Japanese one (starts "npx cdk deploy --no-rollback   # 2 時間かかる")',
    ]);
  });

  it('reports a missing code block', () => {
    expect(parityProblems(en, ja.replace('```sh\nnpx cdk deploy   # 2 時間かかる\n```\n', ''))).toContain('2 code blocks in English, 1 in Japanese');
  });

  it('reports a changed mermaid edge', () => {
    expect(parityProblems(en, ja.replace('--> CF', '--> S3'))).toHaveLength(1);
  });

  it('reports a missing table row and a different image', () => {
    const problems = parityProblems(en, ja.replace('| 1 | 2 |\n', '').replace('docs/live.png', 'docs/other.png'));
    expect(problems).toEqual([
      'under "Deploy" / "デプロイ": 3 table rows in English, 2 in Japanese',
      'images differ: English [docs/live.png] vs Japanese [docs/other.png]',
    ]);
  });
});
