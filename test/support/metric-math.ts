/**
 * Evaluates a CloudWatch alarm's metric-math queries (as synthesised into the template) at one timestamp, for the
 * pointwise subset the stack uses: + - * / ^, comparisons, AND/OR, IF, FILL, FLOOR and the UTC time functions YEAR,
 * MONTH, DATE, DAY (1 = Monday), HOUR and MINUTE. A missing datapoint is `undefined`; arithmetic and comparisons treat
 * it as 0 when the other operand is present, as CloudWatch documents.
 */
export interface MetricDataQuery {
  Id: string;
  Expression?: string;
  MetricStat?: unknown;
  ReturnData?: boolean;
}

type Value = number | undefined;

export function evaluateAlarmMetrics(queries: MetricDataQuery[], at: Date, metricValue: (id: string) => Value): Value {
  const byId = new Map(queries.map((q) => [q.Id, q]));
  const cache = new Map<string, Value>();
  const valueOf = (id: string): Value => {
    if (cache.has(id)) return cache.get(id);
    const query = byId.get(id);
    if (!query) throw new Error(`unknown metric id ${id}`);
    const value = query.Expression === undefined ? metricValue(id) : evaluate(parse(query.Expression), at, valueOf);
    cache.set(id, value);
    return value;
  };
  const returned = queries.filter((q) => q.ReturnData !== false);
  if (returned.length !== 1) throw new Error(`expected one returned query, got ${returned.length}`);
  return valueOf(returned[0].Id);
}

type Node =
  | { kind: 'num'; value: number }
  | { kind: 'id'; name: string }
  | { kind: 'call'; name: string; args: Node[] }
  | { kind: 'neg'; arg: Node }
  | { kind: 'bin'; op: string; left: Node; right: Node };

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const re = /\s*(\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_]*|>=|<=|==|!=|&&|\|\||[-+*/^<>(),])/y;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) throw new Error(`cannot parse "${text.slice(pos, pos + 20)}" in ${text}`);
    tokens.push(m[1]);
    pos = re.lastIndex;
  }
  return tokens;
}

const parsed = new Map<string, Node>();

export function parse(text: string): Node {
  const known = parsed.get(text);
  if (known) return known;
  const node = parseText(text);
  parsed.set(text, node);
  return node;
}

function parseText(text: string): Node {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const take = (expected?: string) => {
    const t = tokens[i++];
    if (expected !== undefined && t !== expected) throw new Error(`expected ${expected}, got ${t} in ${text}`);
    return t;
  };
  const binary = (next: () => Node, ops: string[]) => (): Node => {
    let left = next();
    while (peek() !== undefined && ops.includes(peek().toUpperCase())) {
      const op = take().toUpperCase();
      left = { kind: 'bin', op: op === '&&' ? 'AND' : op === '||' ? 'OR' : op, left, right: next() };
    }
    return left;
  };
  const primary = (): Node => {
    const t = take();
    if (t === undefined) throw new Error(`unexpected end of ${text}`);
    if (t === '(') {
      const inner = or();
      take(')');
      return inner;
    }
    if (t === '-') return { kind: 'neg', arg: power() };
    if (/^\d/.test(t)) return { kind: 'num', value: Number(t) };
    if (peek() === '(') {
      take('(');
      const args: Node[] = [];
      if (peek() !== ')') {
        args.push(or());
        while (peek() === ',') {
          take(',');
          args.push(or());
        }
      }
      take(')');
      return { kind: 'call', name: t, args };
    }
    return { kind: 'id', name: t };
  };
  const power: () => Node = binary(primary, ['^']);
  const product = binary(power, ['*', '/']);
  const sum = binary(product, ['+', '-']);
  const comparison = binary(sum, ['>=', '<=', '==', '!=', '<', '>']);
  const and = binary(comparison, ['AND', '&&']);
  const or: () => Node = binary(and, ['OR', '||']);
  const node = or();
  if (i !== tokens.length) throw new Error(`trailing "${tokens.slice(i).join(' ')}" in ${text}`);
  return node;
}

function evaluate(node: Node, at: Date, valueOf: (id: string) => Value): Value {
  const ev = (n: Node) => evaluate(n, at, valueOf);
  switch (node.kind) {
    case 'num':
      return node.value;
    case 'id':
      return valueOf(node.name);
    case 'neg': {
      const v = ev(node.arg);
      return v === undefined ? undefined : -v;
    }
    case 'call': {
      const time: Record<string, () => number> = {
        YEAR: () => at.getUTCFullYear(),
        MONTH: () => at.getUTCMonth() + 1,
        DATE: () => at.getUTCDate(),
        DAY: () => ((at.getUTCDay() + 6) % 7) + 1,
        HOUR: () => at.getUTCHours(),
        MINUTE: () => at.getUTCMinutes(),
      };
      if (time[node.name]) {
        if (node.args.length !== 1 || node.args[0].kind !== 'id') throw new Error(`${node.name} takes one metric`);
        return time[node.name]();
      }
      if (node.name === 'FLOOR') {
        const v = ev(node.args[0]);
        return v === undefined ? undefined : Math.floor(v);
      }
      if (node.name === 'FILL') {
        const v = ev(node.args[0]);
        return v === undefined ? ev(node.args[1]) : v;
      }
      if (node.name === 'IF') {
        const c = ev(node.args[0]);
        if (c === undefined) return undefined;
        return c !== 0 ? ev(node.args[1]) : ev(node.args[2]);
      }
      throw new Error(`function ${node.name} is not supported here`);
    }
    case 'bin': {
      const l = ev(node.left);
      const r = ev(node.right);
      if (l === undefined && r === undefined) return undefined;
      const a = l ?? 0;
      const b = r ?? 0;
      switch (node.op) {
        case '+': return a + b;
        case '-': return a - b;
        case '*': return a * b;
        case '/': return b === 0 ? undefined : a / b;
        case '^': return a ** b;
        case '<': return Number(a < b);
        case '<=': return Number(a <= b);
        case '>': return Number(a > b);
        case '>=': return Number(a >= b);
        case '==': return Number(a === b);
        case '!=': return Number(a !== b);
        case 'AND': return Number(a !== 0 && b !== 0);
        case 'OR': return Number(a !== 0 || b !== 0);
      }
      throw new Error(`operator ${node.op}`);
    }
  }
}
