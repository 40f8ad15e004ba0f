import RightsKernel

/// The languages the pages speak: the kernel's, so a page and the messages it leads to agree.
typealias PageLanguage = TextLanguage

/// The pages' strings: the kernel's catalogue, one per language.
typealias PageTexts = TextCatalogue
