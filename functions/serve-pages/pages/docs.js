// The interactive reference: Swagger UI over the API's own OpenAPI document, whose server is
// the origin that serves this page.
"use strict";

window.ui = SwaggerUIBundle({
  url: "/pages/openapi.yaml",
  dom_id: "#reference",
  deepLinking: true,
  // Nothing leaves for a validator service: the page works with the API as its only server.
  validatorUrl: null,
  docExpansion: "list",
  defaultModelsExpandDepth: 0,
  displayRequestDuration: true,
});
