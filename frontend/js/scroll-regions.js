// A table wider than the screen scrolls inside its .app-table-scroll box. A keyboard user
// can scroll it only if the box can take focus, and a screen reader user needs to know what
// the box is: so while it overflows it is a labelled region in the tab order (named after
// the table's caption, else the heading before it); when it fits it is left alone, so a
// wide screen has no extra tab stops.

function labelFor (box) {
  const caption = box.querySelector('caption')
  if (caption && caption.textContent.trim()) return caption.textContent.trim()
  let node = box.previousElementSibling
  while (node && !/^H[1-6]$/.test(node.tagName)) node = node.previousElementSibling
  return node ? node.textContent.trim() : 'Table'
}

function update (box) {
  if (box.dataset.appScrollStatic !== undefined) return // given its attributes in the template
  if (box.scrollWidth > box.clientWidth + 1) {
    box.setAttribute('tabindex', '0')
    box.setAttribute('role', 'region')
    box.setAttribute('aria-label', `${labelFor(box)} (scrolls sideways)`)
  } else {
    box.removeAttribute('tabindex')
    box.removeAttribute('role')
    box.removeAttribute('aria-label')
  }
}

export function initScrollRegions (scope = document) {
  const boxes = scope.querySelectorAll('.app-table-scroll')
  boxes.forEach(update)
  if (typeof ResizeObserver === 'function') {
    const observer = new ResizeObserver((entries) => entries.forEach((entry) => update(entry.target)))
    boxes.forEach((box) => observer.observe(box))
  }
}
