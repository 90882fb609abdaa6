// Shared helpers of the review UI. Everything that puts data on the page goes
// through el(), which only ever sets textContent and attributes: receipt text and
// file names are data, never markup.
"use strict";

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "className") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

class ApiError extends Error {
  constructor(status, record) {
    super((record && record.message) || `request failed with status ${status}`);
    this.status = status;
    this.code = record && record.error;
  }
}

async function api(method, url, body) {
  const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  if (response.status === 204) return null;
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

let labelInfoPromise = null;
function labelInfo() {
  // Labels, colours and keys are served by the API (tillroll.labels), not spelled here.
  if (!labelInfoPromise) labelInfoPromise = api("GET", "/api/labels");
  return labelInfoPromise;
}

function formatTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString();
}

function showMessage(text, kind) {
  const bar = document.getElementById("message");
  if (!bar) return;
  bar.textContent = text;
  bar.className = "message " + (kind || "info");
}

function reviewerName() {
  return localStorage.getItem("tillroll.reviewer") || "";
}

function setReviewerName(name) {
  localStorage.setItem("tillroll.reviewer", name.trim());
}
