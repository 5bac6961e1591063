/**
 * Turns one cell of TypeScript into a script that runs in the kernel's main realm like a REPL line:
 *
 *   import { a } from "m"; const x = await f(a); function g() {}; x + 1
 * becomes
 *   "use strict"; var a, x; function g() {}
 *   (async () => { const __m0 = __tsrl.require("m"); a = __m0.a; x = await f(a); return x + 1; })()
 *
 * Top-level names become globals (script-level `var`s and functions), so later cells see them and
 * re-running `const x = …` simply reassigns; the async wrapper gives top-level await; the last
 * expression is returned so the kernel can display it (an async function's return awaits a Promise).
 * The rewrite runs as an `after` transformer on TypeScript's own emit, keeping text ranges, so the
 * source map still points at the cell's lines.
 */
import ts from "typescript";
import { bindingNames } from "./declarations";

/** Global through which emitted cells reach the kernel's module helpers (see runtime.ts). */
export const RUNTIME_GLOBAL = "__tsrl";

export interface CompiledCell {
  code: string;
  /** Source map (v3 JSON) from `code` back to the cell source. */
  sourceMap: SourceMapPayload;
  /** 1-based line of the script's own call of the async wrapper: not the user's code, so tracebacks skip it. */
  entryLine: number;
}

export interface SourceMapPayload {
  version: number;
  file: string;
  sources: string[];
  sourcesContent?: string[];
  names: string[];
  mappings: string;
  sourceRoot?: string;
}

export const emitOptions: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleDetection: ts.ModuleDetectionKind.Force,
  // Keep every value import: a binding unused in this cell is often used by the next one.
  verbatimModuleSyntax: true,
  esModuleInterop: true,
  sourceMap: true,
  inlineSources: true,
};

/** Compiles a cell to a REPL script; `fileName` names it in stack traces and the source map. */
export function compileCell(source: string, fileName: string): CompiledCell {
  const out = ts.transpileModule(source, {
    fileName,
    compilerOptions: emitOptions,
    transformers: { after: [replTransformer] },
  });
  const code = out.outputText.replace(/\n\/\/# sourceMappingURL=.*\s*$/, "\n");
  return { code, sourceMap: JSON.parse(out.sourceMapText!), entryLine: code.trimEnd().split("\n").length };
}

export const replTransformer: ts.TransformerFactory<ts.SourceFile> = (context) => (sourceFile) => {
  const f = context.factory;
  const runtime = (member: string) => f.createPropertyAccessExpression(f.createIdentifier(RUNTIME_GLOBAL), member);
  const callRuntime = (member: string, args: ts.Expression[]) => f.createCallExpression(runtime(member), undefined, args);
  const hoisted = new Set<string>();
  const functions: ts.Statement[] = [];
  const body: ts.Statement[] = [];
  let moduleCount = 0;

  // `import("m")` and `import.meta` do not exist in a vm script: route them through the runtime.
  const visitDeep = (node: ts.Node): ts.Node => {
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const args = ts.visitNodes(node.arguments, visitDeep, ts.isExpression);
      return ts.setTextRange(callRuntime("dynamicImport", [...args].slice(0, 1)), node);
    }
    if (ts.isMetaProperty(node) && node.keywordToken === ts.SyntaxKind.ImportKeyword) {
      return ts.setTextRange(runtime("importMeta"), node);
    }
    return ts.visitEachChild(node, visitDeep, context);
  };
  const visit = <T extends ts.Node>(node: T): T => ts.visitNode(node, visitDeep) as T;

  const assign = (target: ts.Expression, value: ts.Expression, range: ts.TextRange) =>
    ts.setTextRange(f.createExpressionStatement(f.createAssignment(target, value)), range);

  // The last statement of the *cell* (not of TypeScript's emit: an enum's IIFE is not a result).
  const original = ts.getOriginalNode(sourceFile) as ts.SourceFile;
  const lastOriginal = original.statements[original.statements.length - 1];
  const isLast = (statement: ts.Statement) => {
    const from = ts.getOriginalNode(statement);
    return from === lastOriginal && (ts.isExpressionStatement(from) || ts.isExportAssignment(from));
  };

  for (const statement of sourceFile.statements) {
    if (ts.isImportDeclaration(statement)) {
      const specifier = statement.moduleSpecifier;
      const required = ts.setTextRange(callRuntime("require", [specifier]), statement);
      const clause = statement.importClause;
      if (!clause) {
        body.push(ts.setTextRange(f.createExpressionStatement(required), statement));
        continue;
      }
      const temp = f.createUniqueName(`__m${moduleCount++}`, ts.GeneratedIdentifierFlags.Optimistic);
      body.push(ts.setTextRange(f.createVariableStatement(undefined, f.createVariableDeclarationList(
        [f.createVariableDeclaration(temp, undefined, undefined, required)], ts.NodeFlags.Const)), statement));
      if (clause.name) {
        hoisted.add(clause.name.text);
        body.push(assign(f.createIdentifier(clause.name.text), callRuntime("importDefault", [temp]), clause));
      }
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) {
        hoisted.add(bindings.name.text);
        body.push(assign(f.createIdentifier(bindings.name.text), callRuntime("importStar", [temp]), bindings));
      } else if (bindings && ts.isNamedImports(bindings)) {
        for (const spec of bindings.elements) {
          if (spec.isTypeOnly) continue;
          const imported = spec.propertyName ?? spec.name;
          const access = ts.isIdentifier(imported)
            ? f.createPropertyAccessExpression(temp, imported.text)
            : f.createElementAccessExpression(temp, f.createStringLiteral(imported.text));
          const source = imported.text === "default" ? callRuntime("importDefault", [temp]) : access;
          hoisted.add(spec.name.text);
          body.push(assign(f.createIdentifier(spec.name.text), source, spec));
        }
      }
    } else if (ts.isExportDeclaration(statement)) {
      // `export { a }` adds nothing at run time; `export * from "m"` still loads m.
      if (statement.moduleSpecifier) body.push(ts.setTextRange(f.createExpressionStatement(callRuntime("require", [statement.moduleSpecifier])), statement));
    } else if (ts.isExportAssignment(statement)) {
      const expression = visit(statement.expression);
      body.push(ts.setTextRange(isLast(statement)
        ? f.createReturnStatement(expression) : f.createExpressionStatement(expression), statement));
    } else if (ts.isVariableStatement(statement)) {
      const blockScoped = (statement.declarationList.flags & ts.NodeFlags.BlockScoped) !== 0;
      for (const declaration of statement.declarationList.declarations) {
        for (const name of bindingNames(declaration.name)) hoisted.add(name);
        if (declaration.initializer) {
          body.push(assign(bindingToTarget(f, declaration.name), visit(declaration.initializer), declaration));
        } else if (blockScoped && ts.isIdentifier(declaration.name)) {
          // `let x;` re-run must reset x, as a fresh `let` would; a bare `var E;` (enum) must not.
          body.push(assign(f.createIdentifier(declaration.name.text), f.createVoidZero(), declaration));
        }
      }
    } else if (ts.isFunctionDeclaration(statement) && statement.name) {
      const visited = visit(statement);
      functions.push(f.updateFunctionDeclaration(visited, stripExport(f, visited.modifiers), visited.asteriskToken, visited.name,
        visited.typeParameters, visited.parameters, visited.type, visited.body));
    } else if (ts.isClassDeclaration(statement) && statement.name) {
      const visited = visit(statement);
      hoisted.add(statement.name.text);
      const expression = ts.setTextRange(f.createClassExpression(stripExport(f, visited.modifiers), visited.name, visited.typeParameters,
        visited.heritageClauses, visited.members), statement);
      body.push(assign(f.createIdentifier(statement.name.text), expression, statement));
    } else if (ts.isExpressionStatement(statement) && isLast(statement)) {
      body.push(ts.setTextRange(f.createReturnStatement(visit(statement.expression)), statement));
    } else {
      body.push(visit(statement));
    }
  }

  const wrapper = f.createExpressionStatement(f.createCallExpression(
    f.createParenthesizedExpression(f.createArrowFunction([f.createModifier(ts.SyntaxKind.AsyncKeyword)], undefined, [], undefined,
      f.createToken(ts.SyntaxKind.EqualsGreaterThanToken), f.createBlock(body, true))),
    undefined, []));
  const declarations = hoisted.size
    ? [f.createVariableStatement(undefined, [...hoisted].map((name) => f.createVariableDeclaration(name)))]
    : [];
  return f.updateSourceFile(sourceFile, [f.createExpressionStatement(f.createStringLiteral("use strict")), ...declarations, ...functions, wrapper]);
};

function stripExport(f: ts.NodeFactory, modifiers: ts.NodeArray<ts.ModifierLike> | undefined): ts.ModifierLike[] | undefined {
  const kept = modifiers?.filter((m) => m.kind !== ts.SyntaxKind.ExportKeyword && m.kind !== ts.SyntaxKind.DefaultKeyword);
  return kept?.length ? kept : undefined;
}

/** `{ a, b: [c = 1, ...d], ...e }` as a binding → the same shape as an assignment target. */
function bindingToTarget(f: ts.NodeFactory, name: ts.BindingName): ts.Expression {
  if (ts.isIdentifier(name)) return f.createIdentifier(name.text);
  const withDefault = (target: ts.Expression, init: ts.Expression | undefined) => (init ? f.createAssignment(target, init) : target);
  if (ts.isObjectBindingPattern(name)) {
    return f.createObjectLiteralExpression(name.elements.map((element): ts.ObjectLiteralElementLike => {
      if (element.dotDotDotToken) return f.createSpreadAssignment(bindingToTarget(f, element.name));
      if (!element.propertyName && ts.isIdentifier(element.name)) {
        return f.createShorthandPropertyAssignment(element.name.text, element.initializer);
      }
      return f.createPropertyAssignment(element.propertyName ?? (element.name as ts.Identifier),
        withDefault(bindingToTarget(f, element.name), element.initializer));
    }));
  }
  return f.createArrayLiteralExpression(name.elements.map((element) => {
    if (ts.isOmittedExpression(element)) return f.createOmittedExpression();
    if (element.dotDotDotToken) return f.createSpreadElement(bindingToTarget(f, element.name));
    return withDefault(bindingToTarget(f, element.name), element.initializer);
  }));
}
