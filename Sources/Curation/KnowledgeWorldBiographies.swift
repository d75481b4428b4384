extension KnowledgeWorld {
    /// Paraphrased biographies, `perPerson` for each person, shuffled together.
    ///
    /// A biography is one paragraph of five sentences, one per attribute, in a random order;
    /// every sentence names the person in full (so each fact is stored next to the name the
    /// questions use). Each attribute has eight sentence templates; a person's biographies deal
    /// them from a shuffled deck, so up to eight biographies of one person never repeat a
    /// template for the same attribute (after eight, a freshly shuffled deck follows).
    ///
    /// - Parameter perPerson: biographies per person (default 6; at least 1).
    /// - Returns: `people.count × perPerson` paragraphs in a seeded random order; the same seed
    ///   and count give the same list.
    public func biographies(perPerson: Int = 6) -> [String] {
        check(perPerson >= 1, "KnowledgeWorld.biographies: perPerson must be at least 1, got \(perPerson)")
        var random = KnowledgeRandom(seed: seed, stream: Stream.biographies.rawValue)
        var texts: [String] = []
        texts.reserveCapacity(people.count * perPerson)
        for person in people {
            // One deck of template indices per attribute, in Attribute.allCases order.
            let decks: [[Int]] = Attribute.allCases.map { attribute in
                let templates = KnowledgeTemplates.biography[attribute]!.count
                var deck: [Int] = []
                while deck.count < perPerson {
                    var round = Array(0..<templates)
                    random.shuffle(&round)
                    deck += round
                }
                return deck
            }
            for index in 0..<perPerson {
                var order = Array(Attribute.allCases.indices)
                random.shuffle(&order)
                let sentences = order.map { a in
                    let attribute = Attribute.allCases[a]
                    let template = KnowledgeTemplates.biography[attribute]![decks[a][index]]
                    return KnowledgeTemplates.render(template, name: person.name, value: person.value(of: attribute))
                }
                texts.append(sentences.joined(separator: " "))
            }
        }
        random.shuffle(&texts)
        return texts
    }
}
