// Build front-end assets into static/dist/ (gitignored).
//
//   npm ci && npm run build
//
// No bundler: Sass is compiled with dart-sass's JS API, and the prebuilt ES
// module builds of GOV.UK Frontend and MOJ Frontend are copied alongside a
// tiny init module that imports and initialises both.
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as sass from 'sass'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const nm = join(root, 'node_modules')
const out = join(root, 'static', 'dist')

rmSync(out, { recursive: true, force: true })
mkdirSync(join(out, 'images'), { recursive: true })

// 1. CSS
const result = sass.compile(join(root, 'frontend', 'scss', 'app.scss'), {
  style: 'compressed',
  importers: [new sass.NodePackageImporter(root)],
  // MOJ Frontend loads "node_modules/govuk-frontend/dist/govuk/base".
  loadPaths: [root],
  quietDeps: true,
  sourceMap: false,
  logger: {
    // Hide deprecation warnings raised entirely inside dependencies (MOJ
    // Frontend 11 still calls mixins GOV.UK Frontend 6 has deprecated);
    // anything involving our own Sass is still reported.
    warn (message, { stack = '' }) {
      const frames = stack.split('\n').filter((line) => line.trim())
      const ours = frames.filter((line) => !line.includes('node_modules') && !line.includes('root stylesheet'))
      if (frames.length && ours.length === 0) return
      console.warn(`WARNING: ${message}\n${stack}`)
    }
  }
})
if (/@font-face|GDS Transport/i.test(result.css)) {
  throw new Error('app.css must not contain @font-face or GDS Transport')
}
// The footer's "Crown copyright" crest is never used (no crown on this
// service) and must not reference a missing file: Django's
// ManifestStaticFilesStorage fails collectstatic on unresolved url()s.
const css = result.css.replace(/url\("?[^)"]*govuk-crest\.svg"?\)/g, 'none')
writeFileSync(join(out, 'app.css'), css + '\n')

// 2. JavaScript (ES modules, loaded with <script type="module">)
const copy = (from, to) => cpSync(join(nm, from), join(out, to), { recursive: true })
copy('govuk-frontend/dist/govuk/govuk-frontend.min.js', 'govuk-frontend.min.js')
copy('@ministryofjustice/frontend/moj/moj-frontend.min.js', 'moj-frontend.min.js')
copy('htmx.org/dist/htmx.min.js', 'htmx.min.js')
// Source maps referenced by the minified GOV.UK/MOJ builds (devtools only).
copy('govuk-frontend/dist/govuk/govuk-frontend.min.js.map', 'govuk-frontend.min.js.map')
copy('@ministryofjustice/frontend/moj/moj-frontend.min.js.map', 'moj-frontend.min.js.map')
cpSync(join(root, 'frontend', 'js', 'init.js'), join(out, 'init.js'))
cpSync(join(root, 'frontend', 'js', 'session-timeout.js'), join(out, 'session-timeout.js'))
cpSync(join(root, 'frontend', 'js', 'scroll-regions.js'), join(out, 'scroll-regions.js'))

// 3. Images: component icons used by GOV.UK / MOJ CSS, minus anything
//    carrying the crown or GOV.UK/MOJ branding, plus our own favicon.
const branded = /crown|crest|govuk-icon|govuk-opengraph|favicon|moj-apple|moj-logotype|moj-opengraph/i
for (const dir of ['govuk-frontend/dist/govuk/assets/images', '@ministryofjustice/frontend/moj/assets/images']) {
  for (const name of readdirSync(join(nm, dir))) {
    if (!branded.test(name)) copy(join(dir, name), join('images', name))
  }
}
cpSync(join(root, 'frontend', 'images'), join(out, 'images'), { recursive: true })

// Every asset the CSS points at must exist, or collectstatic will fail.
for (const [, path] of css.matchAll(/url\("?\/static\/dist\/([^)"]+)"?\)/g)) {
  if (!existsSync(join(out, path))) throw new Error(`app.css references missing static/dist/${path}`)
}

for (const name of readdirSync(out, { recursive: true })) {
  const p = join(out, name)
  if (statSync(p).isFile()) console.log(`${relative(root, p)}\t${statSync(p).size} bytes`)
}
