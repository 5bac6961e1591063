/**
 * The names a cell declares at its top level, and how: the checker re-exports them to later cells
 * (as `declare let` for variables, which later cells may reassign, and as imports for everything
 * else), and the REPL transform turns the value ones into properties of the kernel's scope object.
 */
import ts from "typescript";

export type DeclarationKind = "let" | "const" | "value" | "type";

export interface TopLevelName {
  name: string;
  /** let/var: reassignable variable; const: read-only variable; value: function, class, enum,
   *  namespace or imported binding (may also carry a type); type: interface or type alias only. */
  kind: DeclarationKind;
  /** Already carries an `export` modifier, so it must not be exported a second time. */
  exported: boolean;
  /** `declare function f…`: describes a global that exists elsewhere; references stay global. */
  ambient: boolean;
}

export function bindingNames(name: ts.BindingName, out: string[] = []): string[] {
  if (ts.isIdentifier(name)) out.push(name.text);
  else for (const element of name.elements) if (!ts.isOmittedExpression(element)) bindingNames(element.name, out);
  return out;
}

function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);
}

export function topLevelNames(sourceFile: ts.SourceFile): TopLevelName[] {
  const names = new Map<string, TopLevelName>();
  let ambient = false;
  const add = (name: string, kind: DeclarationKind, exported: boolean) => {
    const previous = names.get(name);
    // `function f` + `namespace f`, or `interface I` + `class I`: keep the value meaning.
    if (previous && previous.kind !== "type" && kind === "type") return;
    names.set(name, { name, kind, exported: exported || (previous?.exported ?? false), ambient: ambient && (previous?.ambient ?? true) });
  };
  for (const statement of sourceFile.statements) {
    const exported = hasModifier(statement, ts.SyntaxKind.ExportKeyword) && !hasModifier(statement, ts.SyntaxKind.DefaultKeyword);
    ambient = hasModifier(statement, ts.SyntaxKind.DeclareKeyword);
    // `declare global { … }` augments the global scope; it names nothing.
    if (ts.isModuleDeclaration(statement) && (statement.flags & ts.NodeFlags.GlobalAugmentation) !== 0) continue;
    if (ts.isVariableStatement(statement)) {
      if (hasModifier(statement, ts.SyntaxKind.DeclareKeyword)) continue;
      const isConst = (statement.declarationList.flags & ts.NodeFlags.Const) !== 0;
      for (const declaration of statement.declarationList.declarations) {
        for (const name of bindingNames(declaration.name)) add(name, isConst ? "const" : "let", exported);
      }
    } else if (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isEnumDeclaration(statement)) {
      if (statement.name) add(statement.name.text, "value", exported);
    } else if (ts.isModuleDeclaration(statement) && ts.isIdentifier(statement.name)) {
      add(statement.name.text, "value", exported);
    } else if (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) {
      add(statement.name.text, "type", exported);
    } else if (ts.isImportDeclaration(statement) && statement.importClause) {
      const clause = statement.importClause;
      if (clause.name) add(clause.name.text, "value", false);
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) add(bindings.name.text, "value", false);
      if (bindings && ts.isNamedImports(bindings)) for (const spec of bindings.elements) add(spec.name.text, "value", false);
    } else if (ts.isImportEqualsDeclaration(statement)) {
      add(statement.name.text, "value", exported);
    }
  }
  return [...names.values()];
}
