import Foundation
import Testing
import _TestSupport
@testable import Curation

@Suite struct LanguageIdentificationTests {
    let identifier = LanguageIdentifier()

    @Test func defaultsAreTheDocumentedOnes() {
        #expect(identifier.threshold == 0.3)
        #expect(identifier.maximumScalars == 20_000)
        #expect(LanguageIdentifier.sharpness == 10)
        #expect(LanguageIdentifier.unseenLogProbability == -12)
        #expect(LanguageIdentifier.languages == ["en", "de", "fr", "es", "it", "nl", "pl", "pt", "ru", "sv", "cs", "tr", "ja", "zh"])
        #expect(LanguageProfiles.maximumOrder == 3)
        // Every language keeps its top 3,000 n-grams.
        for column in 0..<LanguageIdentifier.languages.count {
            let kept = stride(from: column, to: LanguageProfiles.model.present.count, by: LanguageProfiles.width)
                .reduce(0) { $0 + Int(LanguageProfiles.model.present[$1]) }
            #expect(kept == 3000, "\(LanguageIdentifier.languages[column]) keeps \(kept) n-grams")
        }
    }

    @Test func everyProfileLineIsInTheTableWithItsValue() {
        // The slow path: read each profile line again and look it up in the hash table.
        let model = LanguageProfiles.model
        let languages = LanguageProfiles.width
        var lines = 0
        var known = Set<LanguageProfiles.Key>()
        for (column, item) in LanguageProfiles.table.enumerated() {
            for line in item.profile.split(separator: "\n") {
                let parts = line.split(separator: " ")
                let v = parts[0].unicodeScalars.map(\.value)
                let key = LanguageProfiles.key(v[0], v.count > 1 ? v[1] : 0, v.count > 2 ? v[2] : 0)
                known.insert(key)
                guard let row = model.rows[key] else { Issue.record("\(item.code): '\(parts[0])' missing"); continue }
                #expect(model.logProbabilities[Int(row) * languages + column] == -Int16(parts[1])!)
                #expect(Int16(parts[1])! <= 1200)   // clamped at the unseen value
                #expect(model.present[Int(row) * languages + column] == 1)
                lines += 1
            }
        }
        #expect(lines == 14 * 3000)
        #expect(model.rows.count == known.count)
        // Keys in no profile are absent (here: Greek letters and a few packed non-n-grams).
        for key in [LanguageProfiles.key(0x3B1), LanguageProfiles.key(0x3B1, 0x3B2), LanguageProfiles.key(1, 2, 3), LanguageProfiles.key(0x1F600)] {
            #expect(model.rows[key] == nil)
        }
    }

    @Test func ngramsFollowTheBuildScriptsRecipe() {
        // "Hi!" → word "hi" → "_hi_" → h i _h hi i_ _hi hi_ (the lone "_" is not a feature).
        var keys: [LanguageProfiles.Key] = []
        LanguageIdentifier.forEachNgram("Hi!", maximumScalars: 100) { keys.append($0) }
        let u = { (s: String) -> LanguageProfiles.Key in
            let v = s.unicodeScalars.map(\.value)
            return LanguageProfiles.key(v[0], v.count > 1 ? v[1] : 0, v.count > 2 ? v[2] : 0)
        }
        #expect(Set(keys) == Set(["h", "i", "_h", "hi", "i_", "_hi", "hi_"].map(u)))
        #expect(keys.count == 7)
        // Digits and punctuation split words; case folds beyond ASCII (Ä → ä, Σ → σ).
        keys = []
        LanguageIdentifier.forEachNgram("Ä1Σ", maximumScalars: 100) { keys.append($0) }
        #expect(Set(keys) == Set(["ä", "_ä", "ä_", "_ä_", "σ", "_σ", "σ_", "_σ_"].map(u)))
        // maximumScalars stops reading.
        keys = []
        LanguageIdentifier.forEachNgram("ab cd", maximumScalars: 2) { keys.append($0) }
        #expect(Set(keys) == Set(["a", "b", "_a", "ab", "b_", "_ab", "ab_"].map(u)))
    }

    @Test func noLettersIsUnknownWithScoreZero() {
        for text in ["", "   ", "12345 678.90 — !!!", "🙂🙂🙂"] {
            let result = identifier.details(text)
            #expect(result.language == LanguageIdentifier.unknown, "\(text)")
            #expect(result.score == 0 && result.ngramCount == 0)
        }
    }

    @Test func scriptsWithoutAProfileAreUnknown() {
        // Greek, Hebrew and Korean share no letter n-grams with any profile: coverage ≈ 0.
        for text in ["Η γρήγορη καφέ αλεπού πηδάει πάνω από τον τεμπέλη σκύλο.",
                     "השועל החום המהיר קופץ מעל הכלב העצלן.",
                     "빠른 갈색 여우가 게으른 개를 뛰어넘는다."] {
            let result = identifier.details(text)
            #expect(result.language == LanguageIdentifier.unknown, "\(text): \(result)")
            #expect(result.score < 0.1, "\(text): \(result)")
        }
        // Threshold 0 always names the best language.
        let anyLanguage = LanguageIdentifier(threshold: 0).identify("Η γρήγορη καφέ αλεπού")
        #expect(anyLanguage.language != LanguageIdentifier.unknown)
    }

    @Test func scoresAreInTheUnitIntervalAndFollowTheFormula() {
        for (_, text, _, _) in LanguageIdentificationHeldOut.samples.prefix(60) {
            let r = identifier.details(text)
            #expect(r.score >= 0 && r.score <= 1)
            #expect(abs(r.score - r.posterior * r.coverage) < 1e-6)
            #expect(r.language == (r.score >= 0.3 ? r.bestLanguage : LanguageIdentifier.unknown))
        }
    }

    @Test func handWrittenSentences() {
        var wrong: [String] = []
        for (language, text) in Self.handWritten {
            let result = identifier.identify(text)
            if result.language != language { wrong.append("\(language) → \(result.language) (\(result.score)): \(text)") }
        }
        #expect(wrong.isEmpty, "\(wrong.joined(separator: "\n"))")
    }

    @Test func agreesWithTheBuildScriptsScorer() {
        // Same n-grams, same integer sums: same best language and the score to float precision.
        for (_, text, best, score) in LanguageIdentificationHeldOut.samples {
            let r = identifier.details(text)
            #expect(r.bestLanguage == best, "\(text)")
            #expect(abs(r.score - score) < 1e-4, "\(r.score) vs \(score): \(text)")
        }
    }

    @Test func heldOutManualPagesAccuracy() {
        var perLanguage: [String: (correct: Int, total: Int)] = [:]
        var correct = 0
        for (language, text, _, _) in LanguageIdentificationHeldOut.samples {
            let hit = identifier.identify(text).language == language
            perLanguage[language, default: (0, 0)].total += 1
            if hit { perLanguage[language, default: (0, 0)].correct += 1; correct += 1 }
        }
        let accuracy = Double(correct) / Double(LanguageIdentificationHeldOut.samples.count)
        print("Language identification on \(LanguageIdentificationHeldOut.samples.count) held-out manual-page snippets:")
        print("| language | snippets | accuracy |")
        print("|---|---|---|")
        for language in LanguageIdentifier.languages {
            let (c, t) = perLanguage[language, default: (0, 0)]
            print("| \(language) | \(t) | \(String(format: "%.3f", Double(c) / Double(max(t, 1)))) |")
        }
        print("| all | \(LanguageIdentificationHeldOut.samples.count) | \(String(format: "%.4f", accuracy)) |")
        #expect(Set(perLanguage.keys) == Set(LanguageIdentifier.languages))
        #expect(perLanguage.values.allSatisfy { $0.total == 30 })
        #expect(accuracy >= 0.95)
        for (language, counts) in perLanguage {
            #expect(Double(counts.correct) / Double(counts.total) >= 0.9, "\(language): \(counts)")
        }
    }

    @Test(TestAssets.requires(.shakespeareTexts))
    func shakespearesProseAndVerseIsEnglish() throws {
        var paragraphs = 0, english = 0
        var misses: [String] = []
        for play in ["hamlet_gut.txt", "macbeth_gut.txt", "tempest_gut.txt"] {
            let url = try TestAssets.url(.shakespeareTexts).appendingPathComponent(play)
            let text = String(decoding: try Data(contentsOf: url), as: UTF8.self)
            for paragraph in text.components(separatedBy: "\n\n") where paragraph.unicodeScalars.count >= 150 {
                paragraphs += 1
                let result = identifier.identify(paragraph)
                if result.language == "en" { english += 1 } else if misses.count < 5 { misses.append("\(result): \(paragraph.prefix(120))") }
            }
        }
        print("Shakespeare paragraphs (≥ 150 scalars) identified as en: \(english)/\(paragraphs)")
        // Speed (printed, not asserted): whole plays, first 20,000 scalars each.
        let start = ContinuousClock.now
        var scalars = 0
        for play in ["hamlet_gut.txt", "macbeth_gut.txt", "tempest_gut.txt"] {
            let url = try TestAssets.url(.shakespeareTexts).appendingPathComponent(play)
            let text = String(decoding: try Data(contentsOf: url), as: UTF8.self)
            for paragraph in text.components(separatedBy: "\n\n") {
                scalars += paragraph.unicodeScalars.count
                _ = identifier.identify(paragraph)
            }
        }
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        print("Language identification: \(String(format: "%.1f", Double(scalars) / 1e6 / seconds)) M scalars/s on one thread")
        #expect(paragraphs > 300)
        #expect(Double(english) / Double(paragraphs) >= 0.99, "\(misses.joined(separator: "\n"))")
    }

    /// Three hand-written sentences per language, none from a manual page.
    static let handWritten: [(String, String)] = [
        ("en", "The committee will meet again next Thursday to decide whether the old bridge should be repaired or replaced."),
        ("en", "She opened the window, listened to the rain for a while, and then went back to her book."),
        ("en", "Most of the apples we bought at the market were already soft, so we made a pie instead."),
        ("de", "Der Ausschuss trifft sich am nächsten Donnerstag, um über die Zukunft der alten Brücke zu entscheiden."),
        ("de", "Sie öffnete das Fenster, hörte eine Weile dem Regen zu und las dann weiter in ihrem Buch."),
        ("de", "Die meisten Äpfel vom Markt waren schon weich, also haben wir stattdessen einen Kuchen gebacken."),
        ("fr", "Le comité se réunira jeudi prochain pour décider si le vieux pont doit être réparé ou remplacé."),
        ("fr", "Elle ouvrit la fenêtre, écouta la pluie pendant un moment, puis retourna à son livre."),
        ("fr", "La plupart des pommes achetées au marché étaient déjà molles, alors nous avons fait une tarte."),
        ("es", "El comité se reunirá el próximo jueves para decidir si el viejo puente debe repararse o sustituirse."),
        ("es", "Abrió la ventana, escuchó la lluvia durante un rato y luego volvió a su libro."),
        ("es", "La mayoría de las manzanas que compramos en el mercado ya estaban blandas, así que hicimos una tarta."),
        ("it", "Il comitato si riunirà giovedì prossimo per decidere se il vecchio ponte debba essere riparato o sostituito."),
        ("it", "Aprì la finestra, ascoltò la pioggia per un po' e poi tornò al suo libro."),
        ("it", "Gran parte delle mele comprate al mercato erano già molli, così abbiamo fatto una torta."),
        ("nl", "De commissie komt volgende week donderdag opnieuw bijeen om te beslissen of de oude brug gerepareerd moet worden."),
        ("nl", "Ze opende het raam, luisterde een tijdje naar de regen en ging daarna verder met haar boek."),
        ("nl", "De meeste appels die we op de markt kochten waren al zacht, dus hebben we er een taart van gebakken."),
        ("pl", "Komisja zbierze się ponownie w przyszły czwartek, aby zdecydować, czy stary most należy naprawić."),
        ("pl", "Otworzyła okno, przez chwilę słuchała deszczu, a potem wróciła do swojej książki."),
        ("pl", "Większość jabłek kupionych na targu była już miękka, więc upiekliśmy z nich ciasto."),
        ("pt", "O comitê vai se reunir de novo na próxima quinta-feira para decidir se a ponte velha deve ser consertada."),
        ("pt", "Ela abriu a janela, ficou ouvindo a chuva por um tempo e depois voltou para o seu livro."),
        ("pt", "A maioria das maçãs que compramos na feira já estava mole, então fizemos uma torta."),
        ("ru", "Комиссия снова соберётся в следующий четверг, чтобы решить, нужно ли ремонтировать старый мост."),
        ("ru", "Она открыла окно, немного послушала дождь, а потом вернулась к своей книге."),
        ("ru", "Большинство яблок, купленных на рынке, уже были мягкими, поэтому мы испекли пирог."),
        ("sv", "Kommittén träffas igen nästa torsdag för att bestämma om den gamla bron ska lagas eller ersättas."),
        ("sv", "Hon öppnade fönstret, lyssnade på regnet en stund och gick sedan tillbaka till sin bok."),
        ("sv", "De flesta äpplen vi köpte på torget var redan mjuka, så vi bakade en paj i stället."),
        ("cs", "Výbor se znovu sejde příští čtvrtek, aby rozhodl, zda se starý most opraví, nebo nahradí."),
        ("cs", "Otevřela okno, chvíli poslouchala déšť a pak se vrátila ke své knize."),
        ("cs", "Většina jablek, která jsme koupili na trhu, už byla měkká, tak jsme upekli koláč."),
        ("tr", "Komite, eski köprünün onarılıp onarılmayacağına karar vermek için önümüzdeki perşembe yeniden toplanacak."),
        ("tr", "Pencereyi açtı, bir süre yağmuru dinledi ve sonra kitabına geri döndü."),
        ("tr", "Pazardan aldığımız elmaların çoğu zaten yumuşamıştı, bu yüzden onlardan bir turta yaptık."),
        ("ja", "委員会は来週の木曜日に再び集まり、古い橋を修理するか架け替えるかを決める予定です。"),
        ("ja", "彼女は窓を開けてしばらく雨の音を聞き、それから本の続きを読み始めた。"),
        ("ja", "市場で買ったりんごはほとんど柔らかくなっていたので、代わりにパイを焼きました。"),
        ("zh", "委员会将在下周四再次开会，决定这座旧桥是应该修理还是重建。"),
        ("zh", "她打开窗户，听了一会儿雨声，然后又回去看她的书。"),
        ("zh", "我们在市场上买的苹果大多已经变软了，所以我们做了一个苹果派。"),
    ]
}
