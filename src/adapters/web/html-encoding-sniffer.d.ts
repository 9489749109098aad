// html-encoding-sniffer ships no types; this is its documented API (README of 6.0.0).
declare module 'html-encoding-sniffer' {
  interface SniffOptions {
    xml?: boolean
    transportLayerEncodingLabel?: string
    defaultEncoding?: string
  }
  /** The canonical WHATWG encoding name of an HTML byte stream (BOM > transport label > <meta> prescan > default). */
  function sniffHTMLEncoding(bytes: Uint8Array, options?: SniffOptions): string
  export = sniffHTMLEncoding
}
