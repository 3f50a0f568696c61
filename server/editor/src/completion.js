// Completion of prefixes, classes, properties and keywords. Prefixes and terms come from the
// server (/api/vocabulary: our ontology and the terms the dataset uses), never from a list here.
import {syntaxTree} from "@codemirror/language";
import {startCompletion} from "@codemirror/autocomplete";

const KEYWORDS = [
  "SELECT", "DISTINCT", "WHERE", "FILTER", "OPTIONAL", "UNION", "MINUS", "GRAPH", "BIND", "VALUES",
  "ORDER BY", "GROUP BY", "HAVING", "LIMIT", "OFFSET", "ASK", "CONSTRUCT", "DESCRIBE", "PREFIX",
  "COUNT", "SAMPLE", "GROUP_CONCAT", "LANG", "LANGMATCHES", "STR", "CONTAINS", "REGEX", "NOT EXISTS",
  "ASC", "DESC", "AS",
];
const SKIPPED_NODES = new Set(["String", "Comment", "IriRef", "Var"]);
const PREFIXED = /[A-Za-z_][\w-]*:[\w.-]*$/;
const WORD = /[A-Za-z_][\w-]*$/;

export function loadVocabulary(url) {
  let loaded = null;
  return () => {
    if (!loaded) {
      loaded = fetch(url, {headers: {Accept: "application/json"}})
        .then((response) => (response.ok ? response.json() : {prefixes: {}, terms: []}))
        .catch(() => ({prefixes: {}, terms: []}));
    }
    return loaded;
  };
}

// The PREFIX line a query needs for `prefix`, inserted after the existing PREFIX lines.
function declaration(state, prefix, namespace) {
  const text = state.doc.toString();
  const declared = new RegExp(`^\\s*PREFIX\\s+${prefix}:`, "im");
  if (declared.test(text)) {
    return null;
  }
  let at = 0;
  const lines = /^\s*(?:PREFIX|BASE)\b[^\n]*\n/gim;
  let match;
  while ((match = lines.exec(text)) !== null && match.index === at) {
    at = match.index + match[0].length;
  }
  return {from: at, insert: `PREFIX ${prefix}: <${namespace}>\n`};
}

function applyWithPrefix(prefix, namespace, reopen) {
  return (view, completion, from, to) => {
    const changes = [{from, to, insert: completion.label}];
    const extra = declaration(view.state, prefix, namespace);
    if (extra) {
      changes.push(extra);
    }
    const shift = extra && extra.from <= from ? extra.insert.length : 0;
    view.dispatch({changes, selection: {anchor: from + shift + completion.label.length}, userEvent: "input.complete"});
    if (reopen) {
      startCompletion(view);
    }
  };
}

function termOptions(vocabulary, prefix) {
  const namespace = vocabulary.prefixes[prefix];
  return vocabulary.terms
    .filter((term) => term.prefix === prefix)
    .map((term) => ({
      label: term.curie,
      detail: term.label && term.label !== term.local ? term.label : undefined,
      info: term.definition || undefined,
      type: term.kind === "class" ? "class" : "property",
      boost: term.kind === "class" ? 1 : 0,
      apply: applyWithPrefix(prefix, namespace, false),
    }));
}

function prefixOptions(vocabulary, inDeclaration) {
  return Object.entries(vocabulary.prefixes).map(([prefix, namespace]) => ({
    label: `${prefix}:`,
    detail: namespace,
    type: "namespace",
    boost: 2,
    apply: inDeclaration ? `${prefix}: <${namespace}>` : applyWithPrefix(prefix, namespace, true),
  }));
}

export function completionSource(vocabularyLoader) {
  return async (context) => {
    const node = syntaxTree(context.state).resolveInner(context.pos, -1);
    if (SKIPPED_NODES.has(node.name)) {
      return null;
    }
    const prefixed = context.matchBefore(PREFIXED);
    const word = prefixed || context.matchBefore(WORD);
    if (!word && !context.explicit) {
      return null;
    }
    const vocabulary = await vocabularyLoader();
    if (prefixed) {
      const prefix = prefixed.text.slice(0, prefixed.text.indexOf(":"));
      if (!(prefix in vocabulary.prefixes)) {
        return null;
      }
      return {from: prefixed.from, options: termOptions(vocabulary, prefix), validFor: /^[\w-]*:[\w.-]*$/};
    }
    const from = word ? word.from : context.pos;
    const line = context.state.doc.lineAt(from);
    const inDeclaration = /PREFIX\s+$/i.test(line.text.slice(0, from - line.from));
    const keywords = inDeclaration ? [] : KEYWORDS.map((label) => ({label, type: "keyword"}));
    return {from, options: [...prefixOptions(vocabulary, inDeclaration), ...keywords], validFor: /^[\w-]*$/};
  };
}
