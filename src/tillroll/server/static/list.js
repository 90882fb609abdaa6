// The receipt list: filter by status, page through, upload a new receipt.
"use strict";

const PAGE_SIZE = 50;

function currentQuery() {
  const params = new URLSearchParams(location.search);
  return { status: params.get("status") || "", offset: Math.max(0, parseInt(params.get("offset") || "0", 10) || 0) };
}

function link(status, offset) {
  const params = new URLSearchParams();
  if (status) params.set("status", status);
  if (offset) params.set("offset", String(offset));
  const q = params.toString();
  return "/review" + (q ? "?" + q : "");
}

async function renderList() {
  const { status, offset } = currentQuery();
  const url = `/api/receipts?limit=${PAGE_SIZE}&offset=${offset}` + (status ? `&status=${encodeURIComponent(status)}` : "");
  let data;
  try {
    data = await api("GET", url);
  } catch (err) {
    showMessage(err.message, "error");
    return;
  }
  const filters = document.getElementById("filters");
  const total = (data.counts.new || 0) + (data.counts.reviewed || 0);
  filters.replaceChildren(
    ...[["", `All (${total})`], ["new", `New (${data.counts.new || 0})`], ["reviewed", `Reviewed (${data.counts.reviewed || 0})`]].map(([s, label]) =>
      el("a", { href: link(s, 0), className: s === status ? "filter active" : "filter" }, label))
  );
  const body = document.querySelector("#receipts tbody");
  body.replaceChildren(
    ...data.receipts.map((r) =>
      el("tr", { dataset: { id: r.id } },
        el("td", {}, el("a", { href: `/review/${r.id}`, className: "receipt-link" }, r.original_name)),
        el("td", {}, el("span", { className: `badge ${r.status}` }, r.status)),
        el("td", { text: r.shop_name || "" }),
        el("td", { text: r.total || "", className: "num" }),
        el("td", { text: r.word_count, className: "num" }),
        el("td", { text: formatTime(r.created_at) }),
        el("td", { text: r.reviewed_by || "" })))
  );
  document.getElementById("empty").hidden = data.receipts.length > 0;
  const pager = document.getElementById("pager");
  pager.replaceChildren(
    offset > 0 ? el("a", { href: link(status, Math.max(0, offset - PAGE_SIZE)) }, "« newer") : "",
    el("span", { text: data.total ? ` ${offset + 1}–${Math.min(offset + PAGE_SIZE, data.total)} of ${data.total} ` : "" }),
    offset + PAGE_SIZE < data.total ? el("a", { href: link(status, offset + PAGE_SIZE) }, "older »") : ""
  );
}

async function upload(event) {
  event.preventDefault();
  const input = document.getElementById("upload-file");
  if (!input.files.length) return;
  const form = new FormData();
  form.append("file", input.files[0]);
  form.append("store", "true");
  const button = event.target.querySelector("button");
  button.disabled = true;
  showMessage(`Reading ${input.files[0].name}…`, "info");
  try {
    const doc = await api("POST", "/v1/extract", form);
    location.href = `/review/${doc.meta.review_id}`;
  } catch (err) {
    showMessage(err.message, "error");
  } finally {
    button.disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("upload").addEventListener("submit", upload);
  renderList();
});
