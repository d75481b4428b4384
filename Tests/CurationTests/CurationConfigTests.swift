import Foundation
import Testing
@testable import Curation

@Suite struct CurationConfigTests {
    func decode(_ text: String) throws -> CurationConfig { try CurationConfig.decode(Array(text.utf8), path: "test.json") }

    @Test func proseDefaultsAreTheDocumentedOnes() {
        let config = CurationConfig.prose
        #expect(config.preset == "prose" && config.textField == "text" && config.threads == nil)
        #expect(config.shardDocuments == 2048 && config.shardBytes == 4 << 20 && config.maxDocumentBytes == 8 << 20)
        #expect(config.cleaning == CleaningConfig())
        #expect(config.exactDedup == ExactDedupConfig(normalize: true))
        #expect(config.fuzzyDedup == FuzzyDeduplicationConfiguration(minHash: .datatrove, verifyJaccard: true, jaccardThreshold: 0.8))
        #expect(config.fuzzyDedup?.minHash == MinHashConfiguration(shingles: .words, shingleSize: 5, bands: 14, rowsPerBand: 8, seed: 1))
        #expect(config.decontamination == nil)
        #expect(config.languageFilter == LanguageFilterConfig(languages: ["en"], minScore: 0.3, minLetters: 40, languageField: nil))
        #expect(config.pii == PIIConfig(types: ["EMAIL", "PHONE", "IP_ADDRESS", "CREDIT_CARD", "US_SSN", "IBAN", "SECRET", "URL_CREDENTIALS"],
                                        mode: "replace", maskCharacter: "*", keepSeparators: false, salt: "", hexDigits: 16))
        let filters = try! #require(config.heuristicFilters)
        #expect(filters.wordCount == .init(minWords: 1, maxWords: 100_000))
        #expect(filters.commonEnglishWords == nil && filters.punctuation == nil)
        #expect(filters.meanWordLength == .init(minMeanWordLength: 2.5, maxMeanWordLength: 10))
        #expect(filters.parenthesesRatio?.maxParenthesesRatio == 0.2)
        #expect(filters.repetitionMinWords == 50)
        // Everything else is NeMo's web default.
        var rest = filters
        rest.wordCount = HeuristicFilterConfig.nemoWeb.wordCount
        rest.commonEnglishWords = HeuristicFilterConfig.nemoWeb.commonEnglishWords
        rest.punctuation = HeuristicFilterConfig.nemoWeb.punctuation
        rest.meanWordLength = HeuristicFilterConfig.nemoWeb.meanWordLength
        rest.parenthesesRatio = HeuristicFilterConfig.nemoWeb.parenthesesRatio
        rest.repetitionMinWords = 0
        #expect(rest == .nemoWeb)
        #expect(CurationConfig.nemoWeb.heuristicFilters == .nemoWeb)
    }

    @Test func aFileOverridesOnlyTheKeysItNames() throws {
        let config = try decode("""
        {"text_field": "content", "threads": 2,
         "heuristic_filters": {"word_count": {"min_words": 5}, "punctuation": {"max_num_sentences_without_endmark_ratio": 0.9}},
         "cleaning": {"unicode_normalization": "NFKC"}, "fuzzy_dedup": null}
        """)
        var expected = CurationConfig.prose
        expected.textField = "content"
        expected.threads = 2
        expected.heuristicFilters?.wordCount = .init(minWords: 5, maxWords: 100_000)
        expected.heuristicFilters?.punctuation = .init(maxNumSentencesWithoutEndmarkRatio: 0.9)
        expected.cleaning?.unicodeNormalization = .nfkc
        expected.fuzzyDedup = nil
        #expect(config == expected)
    }

    @Test func aPresetCanBeNamed() throws {
        #expect(try decode(#"{"preset": "nemo_web"}"#) == .nemoWeb)
        #expect(try decode("{}") == .prose)
        let withEval = try decode(#"{"decontamination": {"evaluation_files": ["mmlu.jsonl"]}}"#)
        #expect(withEval.decontamination == DecontaminationStageConfig(evaluationFiles: ["mmlu.jsonl"]))
    }

    @Test func theDefaultConfigRoundTripsThroughItsJSON() throws {
        for config in [CurationConfig.prose, .nemoWeb] {
            #expect(try decode(config.jsonText()) == config)
        }
        #expect(CurationConfig.prose.jsonText().contains("\"repetition_min_words\" : 50"))
    }

    @Test(arguments: [
        (#"{"heuristic_filters": {"word_cout": {}}}"#, "unknown key \"heuristic_filters.word_cout\""),
        (#"{"preset": "web"}"#, "unknown preset \"web\" (known: nemo_web, prose)"),
        (#"{"threads": "two"}"#, "threads: expected Int"),
        (#"{"threads": 0}"#, "threads: must be at least 1"),
        (#"[1]"#, "the config must be a JSON object"),
        (#"{"text_field": }"#, "unexpected character '}' at byte 15"),
        (#"{"decontamination": {"mode": "drop"}}"#, "decontamination.evaluation_files: name at least one evaluation file"),
        (#"{"language_filter": {"languages": ["xx"]}}"#, "language_filter.languages: \"xx\" is not one of"),
        (#"{"pii": {"mode": "scramble"}}"#, "pii.mode: \"scramble\" is not replace, mask or hash"),
        (#"{"pii": {"types": ["NAME"]}}"#, "pii.types: unknown type \"NAME\""),
        (#"{"heuristic_filters": {"repeating_top_ngrams": [{"n": 2, "ratio": 1}]}}"#, "unknown key \"heuristic_filters.repeating_top_ngrams[0].ratio\""),
    ])
    func badConfigsAreClearErrors(text: String, message: String) {
        do {
            _ = try decode(text)
            Issue.record("no error for \(text)")
        } catch {
            let description = (error as? LocalizedError)?.errorDescription ?? "\(error)"
            #expect(description.contains(message), "\(description)")
        }
    }
}
