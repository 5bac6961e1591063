/**
 * Finds the identifiers in a cell that name a *cell binding*: a top-level declaration of this cell
 * (variable, function, class, enum, namespace, import) or a name an earlier cell defined (the
 * prelude's `declare let` / `import { … } from "./__cell_i"` lines stand for those). The REPL
 * transform rewrites exactly these to `__tsrl.scope.name`, so cell bindings live in the kernel's scope
 * object and never on globalThis: a cell's `const performance = …` shadows the global for cells only,
 * and lib code that reads `performance` still gets the real one.
 *
 * Resolution is TypeScript's own (the type checker of the program that checked the cell), so a local
 * variable, parameter or property with the same name is never touched, and a global the cell did not
 * redeclare stays a global.
 */
import ts from "typescript";

export interface ScopeRefsInput {
  sourceFile: ts.SourceFile;
  checker: ts.TypeChecker;
  /** Where the cell's own text sits in the staged file (after the prelude). */
  cellStart: number;
  cellEnd: number;
  /** Names whose earlier definition is ambient (`declare function f`): they stay globals. */
  isAmbient(name: string): boolean;
}

/** UTF-16 offsets, in the cell's text, of the first character of each reference to rewrite. */
export function scopeReferences(input: ScopeRefsInput): number[] {
  const { sourceFile, checker, cellStart, cellEnd } = input;
  const refs: number[] = [];

  const isCellBinding = (symbol: ts.Symbol): boolean =>
    (symbol.declarations ?? []).some((d) => d.getSourceFile() === sourceFile && (d.end <= cellStart
      ? !input.isAmbient(symbol.name) // a prelude line: an earlier cell's binding
      : isTopLevelBinding(d)));

  const visit = (node: ts.Node): void => {
    // Types are erased; type-only declarations hold no value references; `export { x }` and imports
    // are rewritten by the transform from their syntax; ambient declarations emit nothing.
    if (ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node) || ts.isImportDeclaration(node)
      || ts.isExportDeclaration(node) || isAmbient(node)) return;
    if (ts.isHeritageClause(node) && node.token === ts.SyntaxKind.ImplementsKeyword) return;
    if (ts.isExpressionWithTypeArguments(node)) return visit(node.expression); // `extends Base<T>`: Base is a value
    if (ts.isTypeNode(node)) return;
    if (ts.isIdentifier(node)) {
      const parent = node.parent;
      const symbol = ts.isShorthandPropertyAssignment(parent) && parent.name === node
        ? checker.getShorthandAssignmentValueSymbol(parent)
        : checker.getSymbolAtLocation(node);
      if (symbol && isCellBinding(symbol) && !names(symbol, node) && !insideOwnScope(symbol, node)) {
        refs.push(node.getStart(sourceFile) - cellStart);
      }
      return;
    }
    ts.forEachChild(node, visit);
  };
  for (const statement of sourceFile.statements) {
    if (statement.getStart(sourceFile) >= cellStart && statement.end <= cellEnd) visit(statement);
  }
  return refs;
}

/** The identifier is the name in one of the symbol's own declarations (not a reference to it). */
function names(symbol: ts.Symbol, node: ts.Identifier): boolean {
  return (symbol.declarations ?? []).some((d) => (d as ts.NamedDeclaration).name === node);
}

/**
 * Inside its own class, enum or namespace a name means that declaration itself (a class's inner
 * binding; the enum or namespace object being built), which the transform keeps local.
 */
function insideOwnScope(symbol: ts.Symbol, node: ts.Node): boolean {
  return (symbol.declarations ?? []).some((d) =>
    (ts.isClassDeclaration(d) || ts.isEnumDeclaration(d) || ts.isModuleDeclaration(d)) && d.pos <= node.pos && node.end <= d.end);
}

function hasDeclare(node: ts.Node): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.DeclareKeyword);
}

function isAmbient(node: ts.Node): boolean {
  return hasDeclare(node) || (ts.isModuleDeclaration(node) && (node.flags & ts.NodeFlags.GlobalAugmentation) !== 0);
}

/** A value declaration at the top level of the cell (not ambient, not type-only). */
export function isTopLevelBinding(declaration: ts.Declaration): boolean {
  let node: ts.Node = declaration;
  while (ts.isBindingElement(node) || ts.isObjectBindingPattern(node) || ts.isArrayBindingPattern(node)) node = node.parent;
  if (ts.isVariableDeclaration(node)) {
    const statement = node.parent.parent;
    return ts.isVariableStatement(statement) && ts.isSourceFile(statement.parent) && !hasDeclare(statement);
  }
  if (ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node) || ts.isEnumDeclaration(node) || ts.isModuleDeclaration(node)
    || ts.isImportEqualsDeclaration(node)) {
    return ts.isSourceFile(node.parent) && !isAmbient(node);
  }
  if (ts.isImportSpecifier(node)) return !node.isTypeOnly && !node.parent.parent.isTypeOnly;
  if (ts.isNamespaceImport(node)) return !node.parent.isTypeOnly;
  if (ts.isImportClause(node)) return !node.isTypeOnly;
  return false;
}
