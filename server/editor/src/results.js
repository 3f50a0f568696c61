// The results view: the server renders the table (labels, links to entity pages); this makes
// its columns sortable and pages its rows. Without JavaScript the whole table stays visible.
const PAGE_SIZES = [25, 50, 100, 0];
const DEFAULT_SIZE = 50;

function sortKey(cell) {
  return cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim();
}

function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

class ResultsTable {
  constructor(table, strings) {
    this.table = table;
    this.strings = strings;
    this.body = table.tBodies[0];
    this.rows = Array.from(this.body.rows);
    this.pageSize = DEFAULT_SIZE;
    this.page = 0;
    this.headers = Array.from(table.tHead.rows[0].cells);
    this.headers.forEach((th, index) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.title = strings.sort || "";
      button.textContent = th.textContent;
      th.textContent = "";
      th.append(button);
      button.addEventListener("click", () => this.sort(index));
    });
    this.pager = this.makePager();
    (table.closest(".table-wrap") || table).after(this.pager);
    this.render();
  }

  sort(index) {
    const th = this.headers[index];
    const ascending = th.getAttribute("aria-sort") !== "ascending";
    this.headers.forEach((header) => header.removeAttribute("aria-sort"));
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    const keys = this.rows.map((row) => sortKey(row.cells[index]));
    const numeric = keys.every((key) => key === "" || Number.isFinite(Number(key)));
    const collator = new Intl.Collator(document.documentElement.lang || undefined, {numeric: true});
    const order = keys.map((_, i) => i).sort((a, b) => {
      const [x, y] = [keys[a], keys[b]];
      if (x === "" || y === "") {
        return x === y ? a - b : x === "" ? 1 : -1; // empty cells last, either way
      }
      const compared = numeric ? Number(x) - Number(y) : collator.compare(x, y);
      return (ascending ? compared : -compared) || a - b;
    });
    this.rows = order.map((i) => this.rows[i]);
    this.body.append(...this.rows);
    this.page = 0;
    this.render();
  }

  makePager() {
    const nav = document.createElement("nav");
    nav.className = "pager results-pager";
    nav.setAttribute("aria-label", this.strings.pages || "pages");
    this.previous = this.button(`← ${this.strings.previous || "Previous"}`, () => this.go(this.page - 1));
    this.where = document.createElement("span");
    this.next = this.button(`${this.strings.next || "Next"} →`, () => this.go(this.page + 1));
    const label = document.createElement("label");
    label.textContent = `${this.strings.rows_per_page || "Rows per page"} `;
    this.sizes = document.createElement("select");
    for (const size of PAGE_SIZES) {
      const option = new Option(size ? String(size) : this.strings.all || "all", String(size));
      option.selected = size === this.pageSize;
      this.sizes.add(option);
    }
    this.sizes.addEventListener("change", () => {
      this.pageSize = Number(this.sizes.value);
      this.page = 0;
      this.render();
    });
    label.append(this.sizes);
    nav.append(this.previous, this.where, this.next, label);
    return nav;
  }

  button(text, action) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = text;
    button.addEventListener("click", action);
    return button;
  }

  go(page) {
    this.page = page;
    this.render();
  }

  render() {
    const size = this.pageSize || this.rows.length || 1;
    const pages = Math.max(1, Math.ceil(this.rows.length / size));
    this.page = Math.min(Math.max(0, this.page), pages - 1);
    this.rows.forEach((row, i) => {
      row.hidden = Math.floor(i / size) !== this.page;
    });
    this.where.textContent = fill(this.strings.page_of || "{page} / {pages}", {page: this.page + 1, pages});
    this.previous.disabled = this.page === 0;
    this.next.disabled = this.page >= pages - 1;
    this.pager.hidden = this.rows.length <= DEFAULT_SIZE; // one page: nothing to choose
  }
}

export function enhanceResults(root, strings) {
  for (const table of root.querySelectorAll("table.results-table")) {
    if (table.tHead && table.tBodies.length) {
      new ResultsTable(table, strings);
    }
  }
}
