// Initialise GOV.UK Frontend and MOJ Frontend components.
// Loaded with <script type="module">, so it only runs in browsers that
// support ES modules (matching the govuk-frontend-supported body class).
import * as GOVUKFrontend from './govuk-frontend.min.js'
import * as MOJFrontend from './moj-frontend.min.js'
import './session-timeout.js' // the warning before signing out for inactivity
import { initScrollRegions } from './scroll-regions.js'

function initAll (scope) {
  GOVUKFrontend.initAll(scope ? { scope } : undefined)
  MOJFrontend.initAll(scope)
  initScrollRegions(scope || document)
}

initAll()

// Re-initialise components inside content swapped in by htmx.
document.addEventListener('htmx:afterSettle', (event) => {
  const target = event.detail && event.detail.elt
  if (target instanceof Element && target !== document.body) {
    initAll(target)
  }
})

// The rating page: as the reviewer moves into an area (#area-N), the PEP beside the form
// scrolls to the part that area rates (#pep-part-N). Without this the panel still scrolls.
const pepPanel = document.querySelector('.app-pep-panel__body')
if (pepPanel) {
  document.addEventListener('focusin', (event) => {
    const area = event.target instanceof Element ? event.target.closest('.app-rating-area') : null
    const part = area && document.getElementById(area.id.replace(/^area-/, 'pep-part-'))
    if (!part || !pepPanel.contains(part) || pepPanel.offsetParent === null) return
    pepPanel.scrollTop += part.getBoundingClientRect().top - pepPanel.getBoundingClientRect().top
  })
}

window.GOVUKFrontend = GOVUKFrontend
window.MOJFrontend = MOJFrontend
