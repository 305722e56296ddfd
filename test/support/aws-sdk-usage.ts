/**
 * Which AWS API operations a Lambda handler module can send, read from its source and the modules it imports
 * (relative imports only; npm packages other than the AWS SDK and Powertools Parameters make no AWS calls here).
 * An SDK v3 Command class imported from `@aws-sdk/client-<service>` is one operation; Powertools' `getSecret` or
 * `SecretsProvider` is secretsmanager:GetSecretValue. Any other use of those packages is reported, not ignored.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** IAM service prefix of each SDK v3 client package this app may use. */
const SDK_SERVICE_PREFIX: Record<string, string> = {
  'client-kafka': 'kafka',
  'client-secrets-manager': 'secretsmanager',
  'client-cloudformation': 'cloudformation',
  'client-iam': 'iam',
  'client-ec2': 'ec2',
  'client-ecs': 'ecs',
  'client-s3': 's3',
  'client-lambda': 'lambda',
  'client-sts': 'sts',
  'client-ssm': 'ssm',
};
const POWERTOOLS_SECRETS = '@aws-lambda-powertools/parameters/secrets';

export interface SdkUsage {
  /** IAM actions, e.g. kafka:UpdateConnectivity. */
  actions: Set<string>;
  /** Problems: SDK use the scan cannot turn into actions. */
  unknown: string[];
  /** Source files visited (relative to root). */
  files: string[];
}

function resolveModule(fromFile: string, spec: string): string | undefined {
  const base = resolve(dirname(fromFile), spec);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (candidate.endsWith('.ts') && existsSync(candidate)) return candidate;
  }
  return undefined; // JSON and other assets
}

export function sdkUsageOf(root: string, entry: string): SdkUsage {
  const usage: SdkUsage = { actions: new Set(), unknown: [], files: [] };
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    usage.files.push(relative(root, file));
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const where = relative(root, file);
    const onSpecifier = (spec: string, node: ts.Node, clause?: ts.ImportClause | ts.NamedExports) => {
      if (spec.startsWith('.')) {
        const target = resolveModule(file, spec);
        if (target) visit(target);
        return;
      }
      const isSdk = spec.startsWith('@aws-sdk/');
      const isPowertoolsParameters = spec.startsWith('@aws-lambda-powertools/parameters');
      if (!isSdk && !isPowertoolsParameters) return;
      if (clause && ts.isImportClause(clause) && clause.isTypeOnly) return;
      const names: string[] = [];
      if (clause && ts.isImportClause(clause)) {
        if (clause.name) names.push('default');
        const bindings = clause.namedBindings;
        if (bindings && ts.isNamespaceImport(bindings)) names.push('*');
        if (bindings && ts.isNamedImports(bindings)) {
          for (const el of bindings.elements) if (!el.isTypeOnly) names.push((el.propertyName ?? el.name).text);
        }
      } else if (clause && ts.isNamedExports(clause)) {
        for (const el of clause.elements) if (!el.isTypeOnly) names.push((el.propertyName ?? el.name).text);
      } else {
        names.push('*'); // require(), import(), export * from
      }
      const client = /^@aws-sdk\/(client-[a-z0-9-]+)$/.exec(spec)?.[1];
      for (const name of names) {
        if (client && SDK_SERVICE_PREFIX[client] && name.endsWith('Command') && name !== 'Command') {
          usage.actions.add(`${SDK_SERVICE_PREFIX[client]}:${name.slice(0, -'Command'.length)}`);
        } else if (client && SDK_SERVICE_PREFIX[client] && /Client$|Exception$|^[A-Z][A-Za-z]+$/.test(name) && name !== '*' && !/^paginate|^waitFor/.test(name)) {
          // Clients, exception classes and enums send nothing by themselves.
        } else if (spec === POWERTOOLS_SECRETS && (name === 'getSecret' || name === 'SecretsProvider')) {
          usage.actions.add('secretsmanager:GetSecretValue');
        } else {
          usage.unknown.push(`${where}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${name} from ${spec}`);
        }
      }
    };
    const walk = (node: ts.Node) => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        onSpecifier(node.moduleSpecifier.text, node, node.importClause);
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        if (!node.isTypeOnly) onSpecifier(node.moduleSpecifier.text, node, node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause : undefined);
      } else if (
        ts.isCallExpression(node) &&
        (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require')) &&
        node.arguments.length === 1
      ) {
        const arg = node.arguments[0];
        if (ts.isStringLiteral(arg)) onSpecifier(arg.text, node);
        else usage.unknown.push(`${where}: dynamic import of a computed module name`);
      }
      ts.forEachChild(node, walk);
    };
    walk(source);
  };
  visit(resolve(root, entry));
  return usage;
}
