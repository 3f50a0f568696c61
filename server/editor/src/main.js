// The SPARQL editor of /query. It enhances the plain form (a textarea and a submit button),
// which keeps working without this script: highlighting, bracket matching and completion
// in a CodeMirror 6 editor, queries run in place, results sorted and paged, errors marked.
import {basicSetup} from "codemirror";
import {autocompletion} from "@codemirror/autocomplete";
import {syntaxHighlighting} from "@codemirror/language";
import {lintGutter} from "@codemirror/lint";
import {EditorState, Prec} from "@codemirror/state";
import {EditorView, keymap} from "@codemirror/view";
import {classHighlighter} from "@lezer/highlight";
import {sparql} from "codemirror-lang-sparql";
import {completionSource, loadVocabulary} from "./completion.js";
import {enhanceResults} from "./results.js";
import {markProblem, runQuery} from "./run.js";
import {editorTheme} from "./theme.js";

function start() {
  const form = document.getElementById("query-form");
  const area = document.getElementById("query");
  if (!form || !area) {
    return;
  }
  const strings = JSON.parse(form.dataset.strings || "{}");
  const label = area.labels && area.labels[0];
  const host = document.createElement("div");
  host.className = "query-editor";
  area.before(host);
  const shadow = host.attachShadow({mode: "open"});
  let view = null;
  const after = () => {
    enhanceResults(document.getElementById("query-output"), strings);
    markProblem(view);
  };
  const run = () => {
    runQuery(form, view, after);
    return true;
  };
  view = new EditorView({
    root: shadow,
    parent: shadow,
    state: EditorState.create({
      doc: area.value,
      extensions: [
        basicSetup,
        sparql(),
        syntaxHighlighting(classHighlighter),
        autocompletion({override: [completionSource(loadVocabulary(form.dataset.vocabulary))]}),
        lintGutter(),
        editorTheme,
        EditorView.contentAttributes.of({"aria-label": label ? label.textContent.trim() : "SPARQL"}),
        Prec.highest(keymap.of([{key: "Mod-Enter", run}])),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) {
            area.value = update.state.doc.toString();
          }
        }),
      ],
    }),
  });
  area.hidden = true;
  if (label) {
    label.addEventListener("click", () => view.focus());
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  window.addEventListener("popstate", () => window.location.reload());
  form.classList.add("enhanced");
  after();
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
