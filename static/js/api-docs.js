// Boots Swagger UI on /api/docs from a file, so the page runs under the same CSP as every other.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({ url: root.getAttribute("data-spec"), domNode: root, deepLinking: true });
})();
