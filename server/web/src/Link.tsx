import type {AnchorHTMLAttributes, MouseEvent} from 'react'

import {navigate} from './use-location.js'

/** An ordinary link (opens in a new tab with a modifier key) that navigates inside the app on a plain click. */
export function Link({href, onClick, ...rest}: AnchorHTMLAttributes<HTMLAnchorElement> & {href: string}) {
  const click = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event)
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
    event.preventDefault()
    navigate(href)
  }
  return <a href={href} onClick={click} {...rest} />
}
