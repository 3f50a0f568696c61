// Running a query without leaving the page: the server's own query page answers (so results,
// labels, downloads and error messages are rendered in one place, the server), and the parts
// of the page that depend on the query are swapped in. The editor marks an error's place.
import {setDiagnostics} from "@codemirror/lint";

const MAX_GET_URL = 4000; // longer queries are sent with POST (request lines have a limit)
const SWAPPED = ["query-head", "query-output"];
let running = null;

// A 1-based column counted in characters (as the parser counts) as an offset in the line.
function columnOffset(text, column) {
  let offset = 0;
  let seen = 1;
  for (const char of text) {
    if (seen >= column) {
      break;
    }
    offset += char.length;
    seen += 1;
  }
  return offset;
}

export function markProblem(view) {
  const box = document.querySelector("#query-output .query-error[data-line]");
  if (!box) {
    view.dispatch(setDiagnostics(view.state, []));
    return;
  }
  const doc = view.state.doc;
  const number = Number(box.dataset.line);
  if (!(number >= 1 && number <= doc.lines)) {
    return;
  }
  const line = doc.line(number);
  const from = line.from + columnOffset(line.text, Number(box.dataset.column));
  const rest = line.text.slice(from - line.from);
  const to = Math.min(line.to, from + columnOffset(rest, Number(box.dataset.length || 1) + 1));
  const summary = box.querySelector("p");
  const message = summary ? summary.textContent.trim() : box.textContent.trim();
  view.dispatch(setDiagnostics(view.state, [{from, to: Math.max(from, to), severity: "error", message}]));
  view.dispatch({selection: {anchor: from}, scrollIntoView: true});
}

export async function runQuery(form, view, after) {
  const action = form.getAttribute("action");
  const params = new URLSearchParams({query: view.state.doc.toString(), run: "1"});
  const url = `${action}?${params}`;
  const get = url.length <= MAX_GET_URL;
  if (running) {
    running.abort();
  }
  const controller = new AbortController();
  running = controller;
  const output = document.getElementById("query-output");
  output.setAttribute("aria-busy", "true");
  form.classList.add("running");
  let html;
  try {
    const options = {headers: {Accept: "text/html"}, signal: controller.signal, credentials: "same-origin"};
    const response = await fetch(get ? url : action, get ? options : {...options, method: "POST", body: params});
    html = await response.text();
  } catch (error) {
    if (error.name !== "AbortError") {
      form.submit(); // the network or the script failed: fall back to the plain form
    }
    return;
  } finally {
    if (running === controller) {
      running = null;
      output.removeAttribute("aria-busy");
      form.classList.remove("running");
    }
  }
  const page = new DOMParser().parseFromString(html, "text/html");
  for (const id of SWAPPED) {
    const fresh = page.getElementById(id);
    const here = document.getElementById(id);
    if (fresh && here) {
      here.replaceWith(document.adoptNode(fresh));
    }
  }
  document.title = page.title;
  history.pushState({ran: true}, "", get ? url : action);
  after();
}
