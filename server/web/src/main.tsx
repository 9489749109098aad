import './styles.css'

import {createRoot} from 'react-dom/client'

import {App} from './App.js'

createRoot(document.getElementById('root')!).render(<App />)
