// Money as people read it, the twin of core.formatting.yuan: "¥12", "¥12.50", "¥-2.50".
// Integer cents in, never through a float.
export function yuan(cents) {
  var sign = cents < 0 ? "-" : "";
  var abs = Math.abs(cents);
  var whole = Math.floor(abs / 100), part = abs % 100;
  return "¥" + sign + whole + (part === 0 ? "" : "." + (part < 10 ? "0" : "") + part);
}
