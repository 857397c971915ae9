// Initialise GOV.UK Frontend and MOJ Frontend components.
// Loaded with <script type="module">, so it only runs in browsers that
// support ES modules (matching the govuk-frontend-supported body class).
import * as GOVUKFrontend from './govuk-frontend.min.js'
import * as MOJFrontend from './moj-frontend.min.js'

function initAll (scope) {
  GOVUKFrontend.initAll(scope ? { scope } : undefined)
  MOJFrontend.initAll(scope)
}

initAll()

// Re-initialise components inside content swapped in by htmx.
document.addEventListener('htmx:afterSettle', (event) => {
  const target = event.detail && event.detail.elt
  if (target instanceof Element && target !== document.body) {
    initAll(target)
  }
})

window.GOVUKFrontend = GOVUKFrontend
window.MOJFrontend = MOJFrontend
