import path from 'node:path';
import express, { type Router } from 'express';

/** Swagger UI and ReDoc with their assets served from node_modules (no CDN: works offline). */
export function docsRouter(): Router {
  const router = express.Router();
  const swaggerDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  const redocBundle = require.resolve('redoc/bundles/redoc.standalone.js');

  const swaggerHtml = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Filling Scheduler API - Swagger UI</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>`;
  const swaggerInit = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'BaseLayout'
});`;
  const redocHtml = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Filling Scheduler API - ReDoc</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
</head>
<body>
  <redoc spec-url="/openapi.json"></redoc>
  <script src="/redoc/redoc.standalone.js"></script>
</body>
</html>`;

  router.get('/docs', (_req, res) => {
    res.type('html').send(swaggerHtml);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(swaggerInit);
  });
  router.use('/docs/assets', express.static(swaggerDir, { index: false, maxAge: '1h' }));
  router.get('/redoc', (_req, res) => {
    res.type('html').send(redocHtml);
  });
  router.get('/redoc/redoc.standalone.js', (_req, res) => {
    res.type('application/javascript').sendFile(redocBundle, { maxAge: '1h' });
  });
  return router;
}
