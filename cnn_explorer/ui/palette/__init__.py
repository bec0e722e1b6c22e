"""palette"""
