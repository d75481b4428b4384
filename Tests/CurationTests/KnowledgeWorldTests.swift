import Foundation
import Testing
@testable import Curation

@Suite struct KnowledgeWorldTests {
    typealias Attribute = KnowledgeWorld.Attribute

    // MARK: Random numbers

    /// SplitMix64 from state 0 gives the reference implementation's first outputs
    /// (Vigna's `splitmix64.c`).
    @Test func splitMix64MatchesTheReference() {
        var random = KnowledgeRandom(seed: 0)
        #expect(random.next() == 0xE220_A839_7B1D_CDAF)
        #expect(random.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(random.next() == 0x06C4_5D18_8009_454F)
    }

    @Test func drawsAreInRangeDistinctAndRoughlyUniform() {
        var random = KnowledgeRandom(seed: 9, stream: 1)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[random.below(7)] += 1 }
        // 10,000 expected per value; the standard deviation is about 93.
        #expect(counts.allSatisfy { abs($0 - 10_000) < 500 }, "\(counts)")
        for _ in 0..<100 {
            let picked = random.distinctIndices(5, below: 8, excluding: 3)
            #expect(Set(picked).count == 5 && !picked.contains(3) && picked.allSatisfy { (0..<8).contains($0) })
        }
        var values = Array(0..<20)
        random.shuffle(&values)
        #expect(values.sorted() == Array(0..<20) && values != Array(0..<20))
    }

    // MARK: The world

    /// The same seed gives the same world, biographies and questions; this pins the stream so
    /// that a change of the generator (or a platform difference) shows.
    @Test func theSameSeedGivesTheSameWorldEverywhere() throws {
        let a = KnowledgeWorld(seed: 0, people: 20), b = KnowledgeWorld(seed: 0, people: 20)
        #expect(a == b)
        #expect(a.biographies(perPerson: 3) == b.biographies(perPerson: 3))
        #expect(a.questions(choices: 4) == b.questions(choices: 4))
        #expect(KnowledgeWorld(seed: 1, people: 20).people != a.people)
        // A larger world starts with the smaller one's people.
        #expect(Array(KnowledgeWorld(seed: 0, people: 40).people.prefix(20)) == a.people)
        let first = a.people[0]
        #expect(first.name == "Pugaith Quaquor")
        #expect(first.birthDate.text == "7 April 1958")
        #expect([first.birthCity, first.university, first.employer, first.field]
                == ["Orlesk", "Halcrest University", "Marquent", "mycology"])
    }

    @Test func namesAreUniqueAndNotPoolEntries() {
        let world = KnowledgeWorld(seed: 5, people: 2000)
        let given = world.people.map { $0.givenName.lowercased() }, family = world.people.map { $0.familyName.lowercased() }
        #expect(Set(given).count == 2000 && Set(family).count == 2000)
        #expect(Set(given).isDisjoint(with: family))
        let pools = Set((KnowledgePools.cities + KnowledgePools.universities + KnowledgePools.employers).map { $0.lowercased() })
        #expect(pools.isDisjoint(with: given) && pools.isDisjoint(with: family))
        #expect(world.people.allSatisfy { $0.name.allSatisfy { $0.isLetter || $0 == " " } && $0.givenName.first!.isUppercase })
    }

    @Test func attributesComeFromTheirPools() {
        let world = KnowledgeWorld(seed: 3, people: 500)
        for person in world.people {
            for attribute in Attribute.allCases where attribute != .birthDate {
                #expect(KnowledgeWorld.pool(of: attribute).contains(person.value(of: attribute)))
            }
            #expect(KnowledgePools.years.contains(person.birthDate.year))
        }
        // Every city is used by some of 500 people (40 cities, 12.5 expected each).
        #expect(Set(world.people.map(\.birthCity)).count == KnowledgePools.cities.count)
        #expect(KnowledgeWorld.CalendarDate.days(inMonth: 2, year: 1960) == 29)
        #expect(KnowledgeWorld.CalendarDate.days(inMonth: 2, year: 1900) == 28)
        #expect(KnowledgeWorld.CalendarDate.days(inMonth: 2, year: 2000) == 29)
        #expect(KnowledgeWorld.CalendarDate(day: 7, month: 3, year: 1961).text == "7 March 1961")
    }

    // MARK: Biographies

    @Test func biographiesStateEveryFactWithTheFullName() {
        let world = KnowledgeWorld(seed: 11, people: 30)
        let texts = world.biographies(perPerson: 6)
        #expect(texts.count == 180)
        for person in world.people {
            let own = texts.filter { $0.contains(person.name) }
            #expect(own.count == 6)
            #expect(Set(own).count == 6, "paraphrases repeat for \(person.name)")
            for text in own {
                for attribute in Attribute.allCases { #expect(text.contains(person.value(of: attribute))) }
                // Five sentences, each naming the person in full.
                let sentences = text.split(separator: ".", omittingEmptySubsequences: true)
                    .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                #expect(sentences.count == 5, "\(text)")
                #expect(sentences.allSatisfy { $0.contains(person.name) && ($0.first!.isUppercase || $0.first!.isNumber) }, "\(text)")
            }
        }
        // Up to eight biographies per person never repeat an attribute's template.
        let eight = world.biographies(perPerson: 8).filter { $0.contains(world.people[0].name) }
        for attribute in Attribute.allCases {
            let used = eight.map { text in
                KnowledgeTemplates.biography[attribute]!.firstIndex { template in
                    text.contains(KnowledgeTemplates.render(template, name: world.people[0].name,
                                                            value: world.people[0].value(of: attribute)).dropFirst().dropLast())
                }
            }
            #expect(Set(used.compactMap { $0 }).count == 8, "\(attribute): \(used)")
        }
        // Shuffled: the first six are not one person's.
        #expect(Set(texts.prefix(6).map { text in world.people.firstIndex { text.contains($0.name) }! }).count > 1)
    }

    /// No fixed piece of a question template (text between placeholders) occurs in any
    /// biography template or generated biography, compared case-insensitively.
    @Test func questionWordingNeverAppearsInBiographies() {
        let world = KnowledgeWorld(seed: 2, people: 40)
        let biographies = world.biographies(perPerson: 8).map { $0.lowercased() }
        let biographyTemplates = KnowledgeTemplates.biography.values.flatMap { $0 }.map { $0.lowercased() }
        for style in KnowledgeWorld.QuestionStyle.allCases {
            for attribute in Attribute.allCases {
                let templates = KnowledgeTemplates.questions[style]![attribute]!
                #expect(templates.count >= 2)
                for template in templates {
                    for piece in KnowledgeTemplates.fixedPieces(of: template) {
                        let p = piece.lowercased().trimmingCharacters(in: .whitespaces)
                        guard p.count >= 2 else { continue }
                        #expect(!biographyTemplates.contains { $0.contains(p) }, "\"\(p)\" is in a biography template")
                        #expect(!biographies.contains { $0.contains(p) }, "\"\(p)\" is in a biography")
                    }
                }
            }
        }
    }

    // MARK: Questions

    @Test func questionsOfferTheRightAnswerAmongPoolDistractors() {
        let world = KnowledgeWorld(seed: 4, people: 50)
        for choices in [2, 4, 7] {
            let items = world.questions(choices: choices)
            #expect(items.count == 250)
            for (n, item) in items.enumerated() {
                let person = world.people[n / 5], attribute = Attribute.allCases[n % 5]
                #expect(item.person == n / 5 && item.subject == attribute.rawValue)
                #expect(item.choices.count == choices && Set(item.choices).count == choices)
                #expect(item.choices[item.answer] == person.value(of: attribute))
                #expect(item.question.contains(person.name))
                if attribute == .birthDate {
                    #expect(item.choices.allSatisfy { $0.split(separator: " ").count == 3 })
                } else {
                    #expect(item.choices.allSatisfy(KnowledgeWorld.pool(of: attribute).contains))
                }
            }
        }
        // The styles ask the same questions in other words.
        let qa = world.questions(style: .questionAnswer), cloze = world.questions(style: .cloze)
        #expect(qa.map(\.choices) == cloze.map(\.choices) && qa.map(\.answer) == cloze.map(\.answer))
        #expect(qa[0].question.hasPrefix("Q: ") && qa[0].question.hasSuffix("\nA:"))
        #expect(cloze[0].question.hasSuffix(":") && !cloze[0].question.contains("\n"))
    }

    /// Guessing without knowledge of the person scores chance: the answer sits at a uniform
    /// position, and strategies that only look at the choices (the shortest, the
    /// alphabetically first, the most frequent pool entry) score 1/k.
    @Test func choicesGiveNothingAwayWithoutTheFacts() {
        let world = KnowledgeWorld(seed: 8, people: 2000)
        let items = world.questions(choices: 4)      // 10,000 questions; SE of a 1/4 rate ≈ 0.0043
        var positions = [Int](repeating: 0, count: 4)
        for item in items { positions[item.answer] += 1 }
        #expect(positions.allSatisfy { abs($0 - 2500) < 200 }, "\(positions)")
        func rate(_ pick: (KnowledgeWorld.Question) -> Int) -> Double {
            Double(items.filter { pick($0) == $0.answer }.count) / Double(items.count)
        }
        let shortest = rate { item in item.choices.indices.min { item.choices[$0].count < item.choices[$1].count }! }
        let first = rate { item in item.choices.indices.min { item.choices[$0] < item.choices[$1] }! }
        #expect(abs(shortest - 0.25) < 0.025, "shortest choice: \(shortest)")
        #expect(abs(first - 0.25) < 0.025, "alphabetically first: \(first)")
        for attribute in Attribute.allCases {
            let own = items.filter { $0.subject == attribute.rawValue }
            let byLength = Double(own.filter { item in
                item.choices.indices.max { item.choices[$0].count < item.choices[$1].count }! == item.answer
            }.count) / Double(own.count)
            #expect(abs(byLength - 0.25) < 0.05, "\(attribute): the longest choice is right \(byLength) of the time")
        }
    }

    // MARK: Files

    @Test func filesHoldTheTextsQuestionsAndFacts() throws {
        let folder = curationTemporaryFolder().appendingPathComponent("world")
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        let world = KnowledgeWorld(seed: 6, people: 12)
        try world.writeFiles(to: folder, biographiesPerPerson: 4, choices: 3)
        let training = try readJSONL(folder.appendingPathComponent("train.jsonl").path)
        #expect(training.map { $0["text"]?.stringValue } == world.biographies(perPerson: 4).map { $0 })
        #expect(training.allSatisfy { $0.keys == ["text"] })
        let questions = try readJSONL(folder.appendingPathComponent("questions.jsonl").path)
        #expect(questions.count == 60)
        #expect(questions.allSatisfy { $0.keys == ["question", "choices", "answer", "subject"] })
        let expected = world.questions(choices: 3)
        #expect(questions[7]["question"]?.stringValue == expected[7].question)
        #expect(questions[7]["answer"] == .number(String(expected[7].answer)))
        let facts = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: folder.appendingPathComponent("world.json"))) as? [String: Any])
        #expect(facts["seed"] as? Int == 6)
        let people = try #require(facts["people"] as? [[String: Any]])
        #expect(people.count == 12 && people[0]["name"] as? String == world.people[0].name)
        #expect((people[0]["birth_date"] as? [String: Any])?["year"] as? Int == world.people[0].birthDate.year)
        let decoded = try JSONDecoder().decode([KnowledgeWorld.Person].self,
                                               from: JSONSerialization.data(withJSONObject: people))
        #expect(decoded == world.people)
    }

    @Test func anUnwritableFolderIsATypedError() throws {
        let folder = curationTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let blocker = writeFile(folder, "file", "not a folder")
        #expect(throws: CurationError.self) {
            try KnowledgeWorld(seed: 0, people: 2).writeFiles(to: URL(fileURLWithPath: blocker).appendingPathComponent("out"))
        }
    }
}
