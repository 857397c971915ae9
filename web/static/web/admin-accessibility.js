// The Django admin, to WCAG 2.2 AA (templates/admin/base_site.html loads this). Two of
// the admin's widgets are built by script without accessible names, so they are named
// here once built (and again when "Add another" builds more), and the fields Django
// renders without a label of their own get a name from what labels them on screen:
// - the autocomplete (select2) combobox: named after the field's label;
// - the filter boxes' search icons (SelectFilter2): an aria-label on a plain <span> is
//   not allowed, so the icon becomes an image with that name.
(function () {
  'use strict'

  function labelText (select) {
    var label = select.id && document.querySelector('label[for="' + select.id + '"]')
    return label ? label.textContent.replace(/:\s*$/, '').trim() : ''
  }

  function nameComboboxes () {
    document.querySelectorAll('select.admin-autocomplete').forEach(function (select) {
      var container = select.nextElementSibling
      if (!container || !container.classList.contains('select2')) return
      var name = labelText(select)
      if (!name) return
      container.querySelectorAll('[role="combobox"], [role="textbox"]').forEach(function (box) {
        if (box.getAttribute('aria-label') !== name) box.setAttribute('aria-label', name)
      })
    })
  }

  function nameFilterIcons () {
    document.querySelectorAll('.help-tooltip[aria-label]:not([role])').forEach(function (icon) {
      icon.setAttribute('role', 'img')
    })
  }

  // A date and time field (AdminSplitDateTime) has one label for two inputs, tied to
  // neither: each input is named after the field, "date" or "time".
  function nameSplitDateTimes () {
    document.querySelectorAll('p.datetime').forEach(function (pair) {
      var row = pair.closest('.form-row, .fieldBox, td')
      var label = row && row.querySelector('label')
      var header = !label && pair.closest('td') && columnHeader(pair.closest('td'))
      var name = label ? label.textContent.replace(/:\s*$/, '').trim() : header
      if (!name) return
      pair.querySelectorAll('input.vDateField').forEach(function (input) { nameOnce(input, name + ', date') })
      pair.querySelectorAll('input.vTimeField').forEach(function (input) { nameOnce(input, name + ', time') })
    })
  }

  // A tabular inline's fields have a column header, not a label: each is named after
  // its column and its row.
  function columnHeader (cell) {
    var table = cell.closest('table')
    var field = Array.prototype.find.call(cell.classList, function (c) { return c.indexOf('field-') === 0 })
    var th = table && field && table.querySelector('thead th.column-' + field.slice(6))
    return th ? th.textContent.trim() : ''
  }

  function nameTabularFields () {
    document.querySelectorAll('.tabular td[class*="field-"]').forEach(function (cell) {
      var header = columnHeader(cell)
      if (!header) return
      var row = cell.closest('tr')
      var rows = row && row.parentElement ? Array.prototype.indexOf.call(row.parentElement.children, row) + 1 : 0
      cell.querySelectorAll('input:not([type=hidden]), select, textarea').forEach(function (field) {
        if (field.labels && field.labels.length) return
        if (field.closest('p.datetime')) return
        nameOnce(field, header + (rows ? ', row ' + rows : ''))
      })
    })
  }

  function nameDeleteBoxes () {
    document.querySelectorAll('.tabular td.delete input[type=checkbox]').forEach(function (box) {
      var row = box.closest('tr')
      var rows = row && row.parentElement ? Array.prototype.indexOf.call(row.parentElement.children, row) + 1 : 0
      nameOnce(box, 'Delete' + (rows ? ', row ' + rows : ''))
    })
  }

  // The search box select2 opens for a multiple choice.
  function nameSelect2Searches () {
    document.querySelectorAll('select.admin-autocomplete').forEach(function (select) {
      var container = select.nextElementSibling
      var name = labelText(select)
      if (!container || !name) return
      container.querySelectorAll('input.select2-search__field').forEach(function (input) {
        nameOnce(input, 'Search: ' + name)
      })
    })
  }

  function nameOnce (element, name) {
    if (!element.hasAttribute('aria-label') && !(element.labels && element.labels.length)) {
      element.setAttribute('aria-label', name)
    }
  }

  function fix () {
    nameComboboxes()
    nameFilterIcons()
    nameSplitDateTimes()
    nameTabularFields()
    nameDeleteBoxes()
    nameSelect2Searches()
  }

  var scheduled = false
  function schedule () {
    if (scheduled) return
    scheduled = true
    window.requestAnimationFrame(function () {
      scheduled = false
      fix()
    })
  }

  document.addEventListener('DOMContentLoaded', function () {
    fix()
    new MutationObserver(schedule).observe(document.body, { childList: true, subtree: true })
  })
  window.addEventListener('load', fix)
})()
