/**
 * Turns one cell of TypeScript into a script that runs in the kernel's main realm like a REPL line:
 *
 *   import { a } from "m"; const x = await f(a); function g() { return x; }; x + 1
 * becomes
 *   "use strict";
 *   (async () => {
 *     __tsrl.scope.g = function g() { return __tsrl.scope.x; };
 *     const __m0 = __tsrl.require("m"); __tsrl.scope.a = __m0.a;
 *     __tsrl.scope.x = await (0, __tsrl.scope.f)(__tsrl.scope.a);
 *     return __tsrl.scope.x + 1;
 *   })()
 *
 * Cell bindings live in the kernel's scope object (`__tsrl.scope`, see runtime.ts), never on
 * globalThis: a cell may declare `const performance = …` or `function setTimeout` without changing
 * what lib code (or Node) sees under those names. Every reference to a cell binding, in any cell, is
 * rewritten to a property of the scope object, so a function defined in one cell sees a later cell's
 * reassignment, as in a Python notebook. Which identifiers are references is decided by the type
 * checker (scope-refs.ts); this module only rewrites them (`before` TypeScript's own emit, on the parse
 * tree) and restructures the top-level statements (`after` it, on plain JavaScript):
 *
 * - declarations become assignments (re-running `const x = …` just reassigns); destructuring
 *   becomes an assignment pattern; `let x;` resets x;
 * - function declarations are hoisted as assignments to the top of the cell;
 * - classes become class expressions (their own name inside the class body is the class itself);
 * - enums and namespaces are built in a local, then stored in the scope;
 * - imports load the module and assign its bindings (esModuleInterop semantics);
 * - the body runs in an async arrow function: top-level await works, and the last expression
 *   statement is returned so the kernel can display it (an async function awaits a returned Promise);
 * - calls of a cell function go through `(0, scope.f)(…)`, so `this` is undefined as in a plain call.
 *
 * Every new node keeps the text range of what it replaces, so the source map still points at the
 * cell's lines.
 */
import ts from "typescript";
import { bindingNames } from "./declarations";

/** Global through which emitted cells reach the kernel's scope and module helpers (see runtime.ts). */
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

/**
 * Compiles a cell to a REPL script. `fileName` names it in stack traces and the source map;
 * `scopeRefs` are the offsets of the identifiers that name cell bindings (CheckResult.scopeRefs).
 */
export function compileCell(source: string, fileName: string, scopeRefs: Iterable<number>): CompiledCell {
  const out = ts.transpileModule(source, {
    fileName,
    compilerOptions: emitOptions,
    transformers: { before: [referenceTransformer(new Set(scopeRefs))], after: [replTransformer] },
  });
  const code = out.outputText.replace(/\n\/\/# sourceMappingURL=.*\s*$/, "\n");
  return { code, sourceMap: JSON.parse(out.sourceMapText!), entryLine: code.trimEnd().split("\n").length };
}

/** `__tsrl.<member>` */
function runtimeMember(f: ts.NodeFactory, member: string): ts.PropertyAccessExpression {
  return f.createPropertyAccessExpression(f.createIdentifier(RUNTIME_GLOBAL), member);
}

/** `__tsrl.scope.<name>` */
function scopeAccess(f: ts.NodeFactory, name: string): ts.PropertyAccessExpression {
  return f.createPropertyAccessExpression(runtimeMember(f, "scope"), name);
}

function withoutModifiers(modifiers: readonly ts.ModifierLike[] | undefined, drop: ts.SyntaxKind[]): ts.ModifierLike[] | undefined {
  const kept = modifiers?.filter((m) => !drop.includes(m.kind));
  return kept?.length ? kept : undefined;
}

/**
 * Before TypeScript's emit: references to cell bindings → scope properties; `import()` and
 * `import.meta` (which a vm script lacks) → the runtime's; `export` modifiers dropped (a cell's
 * exports are just its bindings).
 */
function referenceTransformer(refs: ReadonlySet<number>): ts.TransformerFactory<ts.SourceFile> {
  return (context) => (sourceFile) => {
    const f = context.factory;
    const isRef = (node: ts.Node): node is ts.Identifier => ts.isIdentifier(node) && node.pos >= 0 && refs.has(node.getStart(sourceFile));
    const access = (id: ts.Identifier) => ts.setTextRange(scopeAccess(f, id.text), id);

    const visit = (node: ts.Node): ts.Node => {
      if (isRef(node)) return access(node);
      if (ts.isShorthandPropertyAssignment(node) && isRef(node.name)) {
        // `{ x }` → `{ x: scope.x }`; in a destructuring assignment `{ x = 1 } = o` → `{ x: scope.x = 1 } = o`
        const value = node.objectAssignmentInitializer
          ? f.createAssignment(access(node.name), ts.visitNode(node.objectAssignmentInitializer, visit, ts.isExpression)!)
          : access(node.name);
        return ts.setTextRange(f.createPropertyAssignment(node.name.text, value), node);
      }
      if ((ts.isCallExpression(node) && !node.questionDotToken) || ts.isTaggedTemplateExpression(node)) {
        const callee = ts.isCallExpression(node) ? node.expression : node.tag;
        if (isRef(callee)) {
          const unbound = ts.setTextRange(f.createParenthesizedExpression(f.createComma(f.createNumericLiteral(0), access(callee))), callee);
          return ts.isCallExpression(node)
            ? f.updateCallExpression(node, unbound, node.typeArguments, ts.visitNodes(node.arguments, visit, ts.isExpression))
            : f.updateTaggedTemplateExpression(node, unbound, node.typeArguments, ts.visitNode(node.template, visit, ts.isTemplateLiteral)!);
        }
      }
      if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const args = ts.visitNodes(node.arguments, visit, ts.isExpression);
        return ts.setTextRange(f.createCallExpression(runtimeMember(f, "dynamicImport"), undefined, [...args].slice(0, 1)), node);
      }
      if (ts.isMetaProperty(node) && node.keywordToken === ts.SyntaxKind.ImportKeyword) {
        return ts.setTextRange(runtimeMember(f, "importMeta"), node);
      }
      return ts.visitEachChild(node, visit, context);
    };

    const topLevel = (statement: ts.Statement): ts.Statement => {
      if (ts.isExportDeclaration(statement) || ts.isExportAssignment(statement) || !ts.canHaveModifiers(statement)) return visit(statement) as ts.Statement;
      const isDefault = (ts.getModifiers(statement) ?? []).some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
      // `export default function () {}` / `class {}`: no name to bind, so just an expression.
      if (isDefault && (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && !statement.name) {
        const visited = visit(statement) as ts.FunctionDeclaration | ts.ClassDeclaration;
        const modifiers = withoutModifiers(visited.modifiers, [ts.SyntaxKind.ExportKeyword, ts.SyntaxKind.DefaultKeyword]);
        const expression = ts.isFunctionDeclaration(visited)
          ? f.createFunctionExpression(modifiers as ts.Modifier[] | undefined, visited.asteriskToken, undefined, visited.typeParameters, visited.parameters, visited.type, visited.body ?? f.createBlock([]))
          : f.createClassExpression(modifiers, undefined, visited.typeParameters, visited.heritageClauses, visited.members);
        return ts.setTextRange(f.createExpressionStatement(f.createParenthesizedExpression(expression)), statement);
      }
      const modifiers = (statement as ts.HasModifiers).modifiers; // decorators included
      const kept = withoutModifiers(modifiers, [ts.SyntaxKind.ExportKeyword, ts.SyntaxKind.DefaultKeyword]);
      const stripped = kept?.length === modifiers?.length ? statement : f.replaceModifiers(statement as ts.HasModifiers, (kept ?? []) as ts.Modifier[]);
      return visit(stripped) as ts.Statement;
    };

    return f.updateSourceFile(sourceFile, sourceFile.statements.map(topLevel));
  };
}

/** After TypeScript's emit: the top-level statements become the async wrapper's body (see above). */
export const replTransformer: ts.TransformerFactory<ts.SourceFile> = (context) => (sourceFile) => {
  const f = context.factory;
  const callRuntime = (member: string, args: ts.Expression[]) => f.createCallExpression(runtimeMember(f, member), undefined, args);
  const functions: ts.Statement[] = [];
  const body: ts.Statement[] = [];
  let moduleCount = 0;

  const assign = (target: ts.Expression, value: ts.Expression, range: ts.TextRange) =>
    ts.setTextRange(f.createExpressionStatement(f.createAssignment(target, value)), range);
  const bind = (name: string, value: ts.Expression, range: ts.TextRange) => assign(scopeAccess(f, name), value, range);

  // The last statement of the *cell* (not of TypeScript's emit: an enum's IIFE is not a result).
  const original = ts.getOriginalNode(sourceFile) as ts.SourceFile;
  const lastOriginal = original.statements[original.statements.length - 1];
  const isLast = (statement: ts.Statement) => {
    const from = ts.getOriginalNode(statement);
    return from === lastOriginal && (ts.isExpressionStatement(from) || ts.isExportAssignment(from));
  };

  for (const statement of sourceFile.statements) {
    const from = ts.getOriginalNode(statement);
    if ((ts.isEnumDeclaration(from) || ts.isModuleDeclaration(from)) && ts.isIdentifier(from.name)) {
      // `var E; (function (E) { … })(E || (E = {}));` stays local; the finished object goes to the scope.
      body.push(statement);
      if (ts.isExpressionStatement(statement)) body.push(bind(from.name.text, f.createIdentifier(from.name.text), statement));
    } else if (ts.isImportDeclaration(statement)) {
      const required = ts.setTextRange(callRuntime("require", [statement.moduleSpecifier]), statement);
      const clause = statement.importClause;
      if (!clause) {
        body.push(ts.setTextRange(f.createExpressionStatement(required), statement));
        continue;
      }
      const temp = f.createUniqueName(`__m${moduleCount++}`, ts.GeneratedIdentifierFlags.Optimistic);
      body.push(ts.setTextRange(f.createVariableStatement(undefined, f.createVariableDeclarationList(
        [f.createVariableDeclaration(temp, undefined, undefined, required)], ts.NodeFlags.Const)), statement));
      if (clause.name) body.push(bind(clause.name.text, callRuntime("importDefault", [temp]), clause));
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) {
        body.push(bind(bindings.name.text, callRuntime("importStar", [temp]), bindings));
      } else if (bindings && ts.isNamedImports(bindings)) {
        for (const spec of bindings.elements) {
          if (spec.isTypeOnly) continue;
          const imported = spec.propertyName ?? spec.name;
          const value = imported.text === "default" ? callRuntime("importDefault", [temp])
            : ts.isIdentifier(imported) ? f.createPropertyAccessExpression(temp, imported.text)
            : f.createElementAccessExpression(temp, f.createStringLiteral(imported.text));
          body.push(bind(spec.name.text, value, spec));
        }
      }
    } else if (ts.isExportDeclaration(statement)) {
      // `export { a }` (and the `export {}` TypeScript adds to a module) do nothing at run time; `export * from "m"` still loads m.
      if (statement.moduleSpecifier) body.push(ts.setTextRange(f.createExpressionStatement(callRuntime("require", [statement.moduleSpecifier])), statement));
    } else if (ts.isExportAssignment(statement)) {
      body.push(ts.setTextRange(isLast(statement)
        ? f.createReturnStatement(statement.expression) : f.createExpressionStatement(statement.expression), statement));
    } else if (ts.isVariableStatement(statement)) {
      const blockScoped = (statement.declarationList.flags & ts.NodeFlags.BlockScoped) !== 0;
      for (const declaration of statement.declarationList.declarations) {
        if (declaration.initializer) {
          body.push(assign(bindingToTarget(f, declaration.name), declaration.initializer, declaration));
        } else if (blockScoped) {
          // `let x;` re-run must reset x, as a fresh `let` would; `var x;` keeps it.
          for (const name of bindingNames(declaration.name)) body.push(bind(name, f.createVoidZero(), declaration));
        }
      }
    } else if (ts.isFunctionDeclaration(statement) && statement.name && statement.body) {
      const expression = ts.setTextRange(f.createFunctionExpression(statement.modifiers as readonly ts.Modifier[] | undefined, statement.asteriskToken,
        statement.name, statement.typeParameters, statement.parameters, statement.type, statement.body), statement);
      functions.push(bind(statement.name.text, expression, statement));
    } else if (ts.isClassDeclaration(statement) && statement.name) {
      const expression = ts.setTextRange(f.createClassExpression(statement.modifiers, statement.name, statement.typeParameters,
        statement.heritageClauses, statement.members), statement);
      body.push(bind(statement.name.text, expression, statement));
    } else if (ts.isExpressionStatement(statement) && isLast(statement)) {
      body.push(ts.setTextRange(f.createReturnStatement(statement.expression), statement));
    } else {
      body.push(statement);
    }
  }

  const wrapper = f.createExpressionStatement(f.createCallExpression(
    f.createParenthesizedExpression(f.createArrowFunction([f.createModifier(ts.SyntaxKind.AsyncKeyword)], undefined, [], undefined,
      f.createToken(ts.SyntaxKind.EqualsGreaterThanToken), f.createBlock([...functions, ...body], true))),
    undefined, []));
  return f.updateSourceFile(sourceFile, [f.createExpressionStatement(f.createStringLiteral("use strict")), wrapper]);
};

/** `{ a, b: [c = 1, ...d], ...e }` as a binding → the same shape as an assignment to scope properties. */
function bindingToTarget(f: ts.NodeFactory, name: ts.BindingName): ts.Expression {
  if (ts.isIdentifier(name)) return ts.setTextRange(scopeAccess(f, name.text), name);
  const withDefault = (target: ts.Expression, init: ts.Expression | undefined) => (init ? f.createAssignment(target, init) : target);
  if (ts.isObjectBindingPattern(name)) {
    return f.createObjectLiteralExpression(name.elements.map((element): ts.ObjectLiteralElementLike => {
      if (element.dotDotDotToken) return f.createSpreadAssignment(bindingToTarget(f, element.name));
      const key = element.propertyName ?? (element.name as ts.Identifier);
      return f.createPropertyAssignment(key, withDefault(bindingToTarget(f, element.name), element.initializer));
    }));
  }
  return f.createArrayLiteralExpression(name.elements.map((element) => {
    if (ts.isOmittedExpression(element)) return f.createOmittedExpression();
    if (element.dotDotDotToken) return f.createSpreadElement(bindingToTarget(f, element.name));
    return withDefault(bindingToTarget(f, element.name), element.initializer);
  }));
}
