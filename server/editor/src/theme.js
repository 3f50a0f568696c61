// The editor's look. CodeMirror writes these rules with style-mod; the editor lives in a shadow
// root, where style-mod uses a constructed style sheet (adoptedStyleSheets) instead of a <style>
// element, so the page's policy `style-src 'self'` needs neither 'unsafe-inline' nor a nonce.
import {EditorView} from "@codemirror/view";

const MONO = 'ui-monospace, "Noto Sans Mono", "Noto Sans Mono CJK KR", Menlo, Consolas, monospace';

export const editorTheme = EditorView.theme({
  "&": {border: "1px solid #d8e0ea", borderRadius: "6px", backgroundColor: "#fff", color: "#10253f",
    fontSize: "0.9rem"},
  "&.cm-focused": {outline: "2px solid #2e86c1", outlineOffset: "1px"},
  ".cm-scroller": {fontFamily: MONO, lineHeight: "1.5", minHeight: "14rem", maxHeight: "36rem"},
  ".cm-content": {wordBreak: "keep-all"},
  ".cm-gutters": {backgroundColor: "#f4f7fb", borderRight: "1px solid #d8e0ea", color: "#5b6b80"},
  ".cm-activeLine, .cm-activeLineGutter": {backgroundColor: "#f2f6fb"},
  ".cm-tooltip": {fontFamily: "inherit"},
  ".cm-tooltip-autocomplete > ul > li": {fontFamily: MONO},
  ".cm-completionDetail": {fontFamily: '"Noto Sans", "Noto Sans CJK KR", system-ui, sans-serif', opacity: "0.75"},
  ".cm-completionInfo": {maxWidth: "24rem", whiteSpace: "normal", wordBreak: "keep-all"},
  ".cm-lintRange-error": {backgroundColor: "#fde2e2"},
  ".tok-keyword": {color: "#7b3294", fontWeight: "600"},
  ".tok-variableName": {color: "#1f4e79"},
  ".tok-string": {color: "#1a7f37"},
  ".tok-number, .tok-bool": {color: "#b35900"},
  ".tok-comment": {color: "#6b7785", fontStyle: "italic"},
  ".tok-namespace": {color: "#2c7bb6"},
  ".tok-url": {color: "#2c7bb6"},
  ".tok-typeName, .tok-meta": {color: "#8a5a00"},
  ".tok-punctuation": {color: "#44546a"},
});
