// The warning before signing out for inactivity (templates/includes/session_timeout.html).
//
// The server signs a session out after SESSION_IDLE_TIMEOUT without activity
// (hvs_qa.middleware.SessionTimeoutMiddleware). SESSION_IDLE_WARNING seconds before, this
// asks the server how long is really left (another tab may have been used: the question is
// sent with X-Background-Request, so it is not activity), and if the time is nearly up,
// opens a modal dialog with a countdown. "Stay signed in" (or Escape) posts to the
// keep-alive address, which counts as activity; "Sign out" signs out. When the time is up
// the page goes to the sign-in page, which says why. No inline script: settings come from
// the dialog's data- attributes.

const SECOND = 1000

function describe (milliseconds) {
  const seconds = Math.max(0, Math.ceil(milliseconds / SECOND))
  if (seconds >= 60) {
    const minutes = Math.ceil(seconds / 60)
    return `${minutes} minute${minutes === 1 ? '' : 's'}`
  }
  return `${seconds} second${seconds === 1 ? '' : 's'}`
}

export function initSessionTimeout (dialog) {
  if (!dialog || typeof dialog.showModal !== 'function') return
  const warning = Number(dialog.dataset.warning) * SECOND
  const url = dialog.dataset.keepAliveUrl
  const signInUrl = dialog.dataset.signInUrl
  const countdown = dialog.querySelector('[data-countdown]')
  const announce = dialog.querySelector('[data-announce]')
  const stay = dialog.querySelector('[data-stay-signed-in]')
  let deadline = Date.now() + Number(dialog.dataset.secondsLeft) * SECOND
  let timer = null
  let ticker = null
  let lastAnnounced = ''

  function signIn () {
    window.location.assign(signInUrl)
  }

  // The seconds left on the server, or null once signed out (then to the sign-in page).
  async function ask (method) {
    const headers = { Accept: 'application/json' }
    if (method === 'GET') headers['X-Background-Request'] = '1'
    else headers['X-CSRFToken'] = dialog.dataset.csrfToken
    try {
      const response = await fetch(url, { method, headers, credentials: 'same-origin', redirect: 'manual' })
      if (!response.ok) {
        signIn()
        return null
      }
      const data = await response.json()
      return Number(data.seconds_left) * SECOND
    } catch (error) {
      return deadline - Date.now() // offline: keep counting down on our own clock
    }
  }

  function schedule () {
    clearTimeout(timer)
    timer = setTimeout(check, Math.max(0, deadline - warning - Date.now()))
  }

  async function check () {
    const left = await ask('GET')
    if (left === null) return
    deadline = Date.now() + left
    if (left <= 0) {
      signIn()
    } else if (left > warning + SECOND) {
      close()
      schedule()
    } else {
      open()
    }
  }

  function update () {
    const left = deadline - Date.now()
    if (left <= 0) {
      clearInterval(ticker)
      check() // signed out by now: the server says so, and the page goes to sign in
      return
    }
    const text = describe(left)
    countdown.textContent = text
    // Announce each minute, then every 15 seconds of the last minute, not every second.
    const seconds = Math.ceil(left / SECOND)
    const due = seconds >= 60 ? text : (seconds % 15 === 0 || seconds <= 5 ? text : lastAnnounced)
    if (due !== lastAnnounced) {
      lastAnnounced = due
      announce.textContent = `You will be signed out in ${due}.`
    }
  }

  function open () {
    if (!dialog.open) {
      dialog.showModal()
      stay.focus()
    }
    clearInterval(ticker)
    update()
    ticker = setInterval(update, SECOND)
  }

  function close () {
    clearInterval(ticker)
    if (dialog.open) dialog.close()
  }

  async function staySignedIn () {
    const left = await ask('POST')
    if (left === null) return
    deadline = Date.now() + left
    close()
    schedule()
  }

  stay.addEventListener('click', staySignedIn)
  dialog.addEventListener('cancel', (event) => { // Escape: as "Stay signed in"
    event.preventDefault()
    staySignedIn()
  })
  schedule()
}

initSessionTimeout(document.querySelector('[data-module="app-session-timeout"]'))
