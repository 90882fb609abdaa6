// The receipt review page: word boxes coloured by label over the page image,
// relabelling by click or key, field, line-item and key->value pair editing, save and approve.
"use strict";

const state = {
  id: location.pathname.split("/").filter(Boolean).pop(),
  receipt: null,       // GET /api/receipts/{id}
  info: null,          // GET /api/labels
  labels: new Map(),   // word id -> label changed on this page, not yet saved
  undo: [],            // stack of [[word id, previous pending label or undefined], ...]
  selected: new Set(),
  cursor: -1,          // the word n/p move from
  fieldsDirty: new Set(),
  itemsDirty: false,
  pairsDirty: false,   // key->value pairs edited (sent as the complete new list)
  zoom: 1,
  busy: false,
};

const KEY_HELP = [
  ["click / shift-click", "select a word / add to selection"],
  ["n / p", "next / previous word"],
  ["label key", "give the selected words that label"],
  ["u", "undo the last relabelling"],
  ["Esc", "clear selection, leave a text box"],
  ["s", "save"],
  ["a", "approve (saves first)"],
  ["] / [", "older / newer receipt"],
  ["z / x", "zoom in / out"],
];

function words() { return state.receipt.document.words; }
function colourOf(label) {
  const entry = state.info.labels.find((l) => l.name === label);
  return entry ? entry.colour : state.info.unlabelled_colour;
}
function currentLabel(word) { return state.labels.has(word.id) ? state.labels.get(word.id) : word.label; }
function isDirty() { return state.labels.size > 0 || state.fieldsDirty.size > 0 || state.itemsDirty || state.pairsDirty; }

// ---- rendering -------------------------------------------------------------------

function renderHeader() {
  const r = state.receipt;
  document.title = `${r.original_name} · tillroll review`;
  document.getElementById("file-name").textContent = r.original_name;
  const status = document.getElementById("status");
  status.textContent = r.status;
  status.className = `badge ${r.status}`;
  document.getElementById("revision").textContent =
    `revision ${r.revision}` + (r.reviewed_by ? ` · approved by ${r.reviewed_by} ${formatTime(r.reviewed_at)}` : "");
  document.getElementById("original").href = r.original;
  document.getElementById("prev-receipt").disabled = !r.neighbours.newer;
  document.getElementById("next-receipt").disabled = !r.neighbours.older;
}

function renderPages() {
  const container = document.getElementById("pages");
  container.replaceChildren();
  for (const page of state.receipt.pages) {
    const frame = el("div", { className: "page", dataset: { page: page.index } });
    frame.style.width = `${Math.round(page.width * state.zoom * baseScale(page))}px`;
    frame.style.aspectRatio = `${page.width} / ${page.height}`;
    frame.append(el("img", { src: page.image, alt: `page ${page.index + 1}`, draggable: "false" }));
    for (const word of words().filter((w) => w.page === page.index)) {
      const [x0, y0, x1, y1] = word.box;
      const box = el("div", { className: "box", dataset: { wordId: word.id }, role: "button", tabindex: "-1" });
      box.style.left = `${(100 * x0) / page.width}%`;
      box.style.top = `${(100 * y0) / page.height}%`;
      box.style.width = `${(100 * (x1 - x0)) / page.width}%`;
      box.style.height = `${(100 * (y1 - y0)) / page.height}%`;
      box.addEventListener("click", (event) => selectWord(word.id, event.shiftKey));
      frame.append(box);
    }
    container.append(frame);
  }
  paintBoxes();
}

function baseScale(page) {
  // Fit the page into the viewer at zoom 1, never enlarging small images more than 2x.
  const available = document.querySelector(".viewer").clientWidth - 24;
  return Math.min(2, available / page.width);
}

function paintBoxes() {
  const showMisc = document.getElementById("show-misc").checked;
  for (const box of document.querySelectorAll(".box")) {
    const word = words()[Number(box.dataset.wordId)];
    const label = currentLabel(word);
    const colour = colourOf(label);
    box.style.borderColor = colour;
    box.style.backgroundColor = colour + "33";
    box.dataset.label = label || "";
    box.title = `${word.text} — ${label || "unlabelled"}`;
    box.classList.toggle("selected", state.selected.has(word.id));
    box.classList.toggle("changed", state.labels.has(word.id) || word.label_source === "human");
    box.classList.toggle("faint", !showMisc && label === "misc" && !state.selected.has(word.id));
  }
}

function renderPalette() {
  const palette = document.getElementById("palette");
  palette.replaceChildren(
    ...state.info.labels.map((l) => {
      const swatch = el("span", { className: "swatch" });
      swatch.style.backgroundColor = l.colour;
      return el("button", { type: "button", className: "label-button", dataset: { label: l.name }, title: `key ${l.key}`, onclick: () => applyLabel(l.name) },
        el("kbd", { text: l.key }), swatch, l.name);
    })
  );
}

function renderWordInfo() {
  const box = document.getElementById("word-info");
  const ids = [...state.selected];
  for (const b of document.querySelectorAll(".label-button")) b.classList.remove("current");
  if (!ids.length) {
    box.replaceChildren(el("p", { className: "muted", text: "Click a box (shift-click adds) or press n / p." }));
    return;
  }
  if (ids.length > 1) {
    box.replaceChildren(el("p", { text: `${ids.length} words selected: ` }, el("q", { text: ids.map((i) => words()[i].text).join(" ") })));
    return;
  }
  const word = words()[ids[0]];
  const predicted = state.receipt.prediction.words[word.id] || {};
  const label = currentLabel(word);
  const current = document.querySelector(`.label-button[data-label="${CSS.escape(label || "")}"]`);
  if (current) current.classList.add("current");
  const conf = (v) => (typeof v === "number" ? ` (${Math.round(v * 100)} %)` : "");
  box.replaceChildren(
    el("p", { className: "word-text", text: word.text }),
    el("dl", {},
      el("dt", { text: "label" }), el("dd", { text: (label || "unlabelled") + (state.labels.has(word.id) ? " (unsaved)" : "") }),
      el("dt", { text: "model said" }), el("dd", { text: (predicted.label || "nothing") + conf(predicted.label_confidence) + (predicted.label_source ? ` by ${predicted.label_source}` : "") }),
      el("dt", { text: "OCR" }), el("dd", { text: `confidence ${conf(word.ocr_confidence).trim() || "?"}, line ${word.line}` }))
  );
}

function fieldValue(doc, name) { return ((doc.fields || {})[name] || {}).value || ""; }

function renderFields() {
  const body = document.querySelector("#fields tbody");
  body.replaceChildren(
    ...state.info.fields.map((name) => {
      const doc = state.receipt.document;
      const predicted = fieldValue(state.receipt.prediction, name);
      const input = el("input", { type: "text", name, value: fieldValue(doc, name), placeholder: "not found", "aria-label": name });
      input.addEventListener("input", () => { state.fieldsDirty.add(name); input.classList.add("edited"); });
      const field = (doc.fields || {})[name];
      const row = el("tr", { dataset: { field: name } },
        el("th", { text: name }),
        el("td", {}, input,
          el("small", { className: "muted", text: predicted !== fieldValue(doc, name) ? `model: ${predicted || "not found"}` : (field ? `${field.source}` : "") })),
        el("td", {}, el("button", { type: "button", title: "Set from the selected words", onclick: () => fieldFromSelection(name, input) }, "⇐ words")));
      row.addEventListener("mouseenter", () => highlight(field ? field.word_ids : []));
      row.addEventListener("mouseleave", () => highlight([]));
      return row;
    })
  );
}

function renderItems() {
  const columns = state.info.line_item_fields;
  document.querySelector("#items thead tr").replaceChildren(...columns.map((c) => el("th", { text: c.replace("_", " ") })), el("th"));
  const body = document.querySelector("#items tbody");
  body.replaceChildren(...state.receipt.document.line_items.map((item) => itemRow(item)));
}

function itemRow(item) {
  const columns = state.info.line_item_fields;
  const row = el("tr", { dataset: { wordIds: (item.word_ids || []).join(",") } },
    ...columns.map((c) => {
      const input = el("input", { type: "text", name: c, value: item[c] || "", "aria-label": c, className: c === "description" ? "" : "num" });
      input.addEventListener("input", () => { state.itemsDirty = true; input.classList.add("edited"); });
      return el("td", {}, input);
    }),
    el("td", {}, el("button", { type: "button", title: "Remove this line item", onclick: () => { row.remove(); state.itemsDirty = true; } }, "×")));
  row.addEventListener("mouseenter", () => highlight(item.word_ids || []));
  row.addEventListener("mouseleave", () => highlight([]));
  return row;
}

function renderPairs() {
  const body = document.querySelector("#pairs tbody");
  body.replaceChildren(...(state.receipt.document.key_values || []).map((pair) => pairRow(pair)));
}

// One key->value pair: two text boxes, each with a button that takes the selected words
// as that side's words, and a remove button. Hovering shows both sides on the page.
function pairRow(pair) {
  const row = el("tr", { className: "pair", dataset: { keyWordIds: (pair.key_word_ids || []).join(","), valueWordIds: (pair.value_word_ids || []).join(",") } });
  const side = (name, text, idsKey) => {
    const input = el("input", { type: "text", name, value: text || "", "aria-label": name });
    input.addEventListener("input", () => { state.pairsDirty = true; input.classList.add("edited"); });
    const take = el("button", { type: "button", title: `Set the ${name} from the selected words`, onclick: () => {
      const ids = [...state.selected].sort((a, b) => a - b);
      if (!ids.length) { showMessage(`Select the words of the ${name} first.`, "info"); return; }
      input.value = ids.map((i) => words()[i].text).join(" ");
      row.dataset[idsKey] = ids.join(",");
      input.classList.add("edited");
      state.pairsDirty = true;
    } }, "⇐");
    return el("td", {}, input, take);
  };
  row.append(side("key", pair.key, "keyWordIds"), side("value", pair.value, "valueWordIds"),
    el("td", {}, el("button", { type: "button", title: "Remove this pair", onclick: () => { row.remove(); state.pairsDirty = true; } }, "×")));
  const ids = (name) => (row.dataset[name] || "").split(",").filter(Boolean).map(Number);
  row.addEventListener("mouseenter", () => highlight([...ids("keyWordIds"), ...ids("valueWordIds")]));
  row.addEventListener("mouseleave", () => highlight([]));
  return row;
}

async function renderHistory() {
  const list = document.getElementById("history");
  try {
    const data = await api("GET", `/api/receipts/${state.id}/corrections`);
    list.replaceChildren(
      ...data.corrections.map((c) => {
        const parts = [];
        if (c.changes.labels.length) parts.push(`${c.changes.labels.length} label(s)`);
        if (c.changes.fields.length) parts.push(`fields: ${c.changes.fields.map((f) => f.field).join(", ")}`);
        if (c.changes.line_items) parts.push("line items");
        if (c.changes.key_values) parts.push("key-value pairs");
        return el("li", {}, el("strong", { text: c.action === "approve" ? "approved" : "saved" }), ` by `, el("span", { text: c.author }),
          ` · ${formatTime(c.created_at)}` + (parts.length ? ` · ${parts.join("; ")}` : ""));
      })
    );
    if (!data.corrections.length) list.replaceChildren(el("li", { className: "muted", text: "not reviewed yet" }));
  } catch (err) {
    list.replaceChildren(el("li", { className: "muted", text: err.message }));
  }
}

// A result read from an e-invoice's XML says so, and lists where the page and the XML
// disagree (crosscheck_*) and what is wrong with the XML itself (xml_schema, xml_profile, embedded_xml).
const EINVOICE_CHECK = /^(crosscheck_|xml_schema$|xml_profile$|embedded_xml$)/;

function renderEinvoice() {
  const doc = state.receipt.document;
  const info = (doc.meta || {}).einvoice;
  const problems = (doc.checks || []).filter((c) => EINVOICE_CHECK.test(c.name) && !c.passed);
  const section = document.getElementById("einvoice");
  section.hidden = !info && problems.length === 0;
  if (section.hidden) return;
  const where = info && info.attachment ? `the XML embedded in the PDF (${info.attachment})` : "an XML invoice file";
  const what = info ? [info.syntax, info.profile].filter(Boolean).join(", ") : "";
  document.getElementById("einvoice-source").textContent = info
    ? `Values come from ${where}${what ? ` · ${what}` : ""}; confidence 1.0.`
    : "The PDF carries an XML invoice that could not be read; the values come from the page.";
  const compared = (doc.checks || []).filter((c) => c.name.startsWith("crosscheck_")).length;
  const items = problems.map((c) => el("li", { className: "fail" }, el("strong", { text: c.name.replace(/^crosscheck_/, "") + ": " }), c.detail));
  if (compared && !problems.some((c) => c.name.startsWith("crosscheck_"))) {
    items.push(el("li", { className: "pass", text: `page and XML agree on all ${compared} fields the page yielded` }));
  }
  document.getElementById("einvoice-problems").replaceChildren(...items);
}

function renderKeys() {
  document.getElementById("keys").replaceChildren(...KEY_HELP.flatMap(([k, what]) => [el("dt", {}, el("kbd", { text: k })), el("dd", { text: what })]));
}

function renderAll() {
  renderHeader();
  renderPages();
  renderPalette();
  renderWordInfo();
  renderEinvoice();
  renderFields();
  renderItems();
  renderPairs();
  renderHistory();
}

function highlight(ids) {
  const wanted = new Set(ids);
  for (const box of document.querySelectorAll(".box")) box.classList.toggle("linked", wanted.has(Number(box.dataset.wordId)));
}

// ---- actions -----------------------------------------------------------------------

function selectWord(id, add) {
  if (!add) state.selected.clear();
  if (add && state.selected.has(id)) state.selected.delete(id);
  else state.selected.add(id);
  state.cursor = id;
  paintBoxes();
  renderWordInfo();
  const box = document.querySelector(`.box[data-word-id="${id}"]`);
  if (box) box.scrollIntoView({ block: "nearest", inline: "nearest" });
}

function step(delta) {
  const n = words().length;
  if (!n) return;
  const next = state.cursor < 0 ? (delta > 0 ? 0 : n - 1) : (state.cursor + delta + n) % n;
  selectWord(next, false);
}

function applyLabel(label) {
  if (!state.selected.size) { showMessage("Select a word first (click its box, or press n).", "info"); return; }
  const record = [];
  for (const id of state.selected) {
    record.push([id, state.labels.get(id)]);
    if (words()[id].label === label && words()[id].label_source === "human") state.labels.delete(id);
    else state.labels.set(id, label);
  }
  state.undo.push(record);
  paintBoxes();
  renderWordInfo();
  showMessage(`${state.selected.size} word(s) → ${label} (unsaved; press s to save)`, "info");
}

function undo() {
  const record = state.undo.pop();
  if (!record) return;
  for (const [id, previous] of record.reverse()) {
    if (previous === undefined) state.labels.delete(id);
    else state.labels.set(id, previous);
  }
  paintBoxes();
  renderWordInfo();
}

function fieldFromSelection(name, input) {
  const ids = [...state.selected].sort((a, b) => a - b);
  if (!ids.length) { showMessage("Select the words of this field first.", "info"); return; }
  input.value = ids.map((i) => words()[i].text).join(" ");
  input.dataset.wordIds = ids.join(",");
  input.classList.add("edited");
  state.fieldsDirty.add(name);
}

function collectEdits() {
  const body = { author: reviewerName() || null, base_revision: state.receipt.revision, labels: Object.fromEntries(state.labels) };
  body.fields = {};
  for (const name of state.fieldsDirty) {
    const input = document.querySelector(`#fields input[name="${CSS.escape(name)}"]`);
    const value = input.value.trim();
    const edit = value ? { value } : null;
    if (edit && input.dataset.wordIds) edit.word_ids = input.dataset.wordIds.split(",").map(Number);
    body.fields[name] = edit;
  }
  if (state.itemsDirty) {
    body.line_items = [...document.querySelectorAll("#items tbody tr")].map((row) => {
      const item = {};
      for (const input of row.querySelectorAll("input")) item[input.name] = input.value.trim() || null;
      if (row.dataset.wordIds) item.word_ids = row.dataset.wordIds.split(",").filter(Boolean).map(Number);
      return item;
    });
  }
  if (state.pairsDirty) {
    body.key_values = [...document.querySelectorAll("#pairs tbody tr")].map((row) => {
      const ids = (name) => (row.dataset[name] || "").split(",").filter(Boolean).map(Number);
      return {
        key: row.querySelector('input[name="key"]').value.trim() || null,
        value: row.querySelector('input[name="value"]').value.trim() || null,
        key_word_ids: ids("keyWordIds"),
        value_word_ids: ids("valueWordIds"),
      };
    });
  }
  return body;
}

async function submit(approve) {
  if (state.busy) return;
  if (!reviewerName()) {
    const input = document.getElementById("reviewer");
    showMessage("Enter your name as reviewer first (it is kept with every correction).", "error");
    input.focus();
    return;
  }
  state.busy = true;
  const url = approve ? `/api/receipts/${state.id}/approve` : `/api/receipts/${state.id}`;
  try {
    const result = await api(approve ? "POST" : "PUT", url, collectEdits());
    const changed = result.changes.labels.length + result.changes.fields.length + (result.changes.line_items ? 1 : 0) + (result.changes.key_values ? 1 : 0);
    resetEdits(result);
    const learnt = result.entities && result.entities.added.length ? ` Learnt ${result.entities.added.map((e) => e.kind).join(" and ")}.` : "";
    showMessage(approve ? `Approved (revision ${result.revision}).${learnt}` : (changed ? `Saved ${changed} change(s) (revision ${result.revision}).` : "Nothing to save."), "ok");
    if (approve && result.neighbours.next_new) {
      location.href = `/review/${result.neighbours.next_new}`;
    }
  } catch (err) {
    showMessage(err.status === 409 ? `${err.message} (press r to reload)` : err.message, "error");
  } finally {
    state.busy = false;
  }
}

function resetEdits(receipt) {
  state.receipt = receipt;
  state.labels.clear();
  state.undo = [];
  state.fieldsDirty.clear();
  state.itemsDirty = false;
  state.pairsDirty = false;
  renderAll();
}

async function removeReceipt() {
  if (!confirm(`Delete ${state.receipt.original_name} and all its corrections? This cannot be undone.`)) return;
  try {
    await api("DELETE", `/api/receipts/${state.id}`);
    state.labels.clear(); state.fieldsDirty.clear(); state.itemsDirty = false; state.pairsDirty = false;
    location.href = "/review";
  } catch (err) {
    showMessage(err.message, "error");
  }
}

function zoom(factor) {
  state.zoom = Math.min(6, Math.max(0.25, state.zoom * factor));
  for (const frame of document.querySelectorAll(".page")) {
    const page = state.receipt.pages[Number(frame.dataset.page)];
    frame.style.width = `${Math.round(page.width * state.zoom * baseScale(page))}px`;
  }
}

function go(id) {
  if (id) location.href = `/review/${id}`;
}

function onKey(event) {
  const typing = event.target.matches("input, textarea, select");
  if (event.key === "Escape") {
    if (typing) event.target.blur();
    state.selected.clear();
    paintBoxes();
    renderWordInfo();
    return;
  }
  if ((event.ctrlKey || event.metaKey) && event.key === "s") { event.preventDefault(); submit(false); return; }
  if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
  const label = state.info.labels.find((l) => l.key === event.key);
  if (label) { event.preventDefault(); applyLabel(label.name); return; }
  const actions = {
    n: () => step(1), p: () => step(-1), u: undo, s: () => submit(false), a: () => submit(true),
    "]": () => go(state.receipt.neighbours.older), "[": () => go(state.receipt.neighbours.newer),
    z: () => zoom(1.25), x: () => zoom(0.8), r: () => location.reload(),
  };
  if (actions[event.key]) { event.preventDefault(); actions[event.key](); }
}

async function main() {
  renderKeys();
  const reviewer = document.getElementById("reviewer");
  reviewer.value = reviewerName();
  reviewer.addEventListener("change", () => setReviewerName(reviewer.value));
  try {
    [state.info, state.receipt] = await Promise.all([labelInfo(), api("GET", `/api/receipts/${state.id}`)]);
  } catch (err) {
    showMessage(err.message, "error");
    return;
  }
  renderAll();
  document.getElementById("save").addEventListener("click", () => submit(false));
  document.getElementById("approve").addEventListener("click", () => submit(true));
  document.getElementById("delete").addEventListener("click", removeReceipt);
  document.getElementById("prev-receipt").addEventListener("click", () => go(state.receipt.neighbours.newer));
  document.getElementById("next-receipt").addEventListener("click", () => go(state.receipt.neighbours.older));
  document.getElementById("zoom-in").addEventListener("click", () => zoom(1.25));
  document.getElementById("zoom-out").addEventListener("click", () => zoom(0.8));
  document.getElementById("show-misc").addEventListener("change", paintBoxes);
  document.getElementById("add-item").addEventListener("click", () => {
    document.querySelector("#items tbody").append(itemRow({}));
    state.itemsDirty = true;
  });
  document.getElementById("add-pair").addEventListener("click", () => {
    document.querySelector("#pairs tbody").append(pairRow({}));
    state.pairsDirty = true;
  });
  document.addEventListener("keydown", onKey);
  window.addEventListener("beforeunload", (event) => { if (isDirty()) { event.preventDefault(); event.returnValue = ""; } });
  window.addEventListener("resize", () => zoom(1));
  document.body.dataset.ready = "true";
}

document.addEventListener("DOMContentLoaded", main);
