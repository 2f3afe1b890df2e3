// A merchant's text in the reader's language: the browser twin of merchant/texts.py `localized`.
// The API sends each text twice: `title` (the primary text) and `title_i18n` ({"en": ..., "zh": ...},
// only the languages the merchant gave); show the reader's language, else the other, else `title`.
export function localized(primary, given, lang) {
  var wanted = String(lang || "en").toLowerCase().indexOf("zh") === 0 ? "zh" : "en";
  var other = wanted === "zh" ? "en" : "zh";
  given = given || {};
  return given[wanted] || given[other] || primary || "";
}

// The one distance formatter: every "how far" on a page goes through it, so one shop never reads
// "85 m" in one place and "90 m" in another. Under a kilometre to the nearest 10 m ("{metres}" in
// the sentence), beyond in tenths of a kilometre ("{km}").
export function distanceText(metres, inMetres, inKm) {
  if (metres < 1000) return inMetres.replace("{metres}", String(Math.round(metres / 10) * 10));
  return inKm.replace("{km}", (metres / 1000).toFixed(1));
}
