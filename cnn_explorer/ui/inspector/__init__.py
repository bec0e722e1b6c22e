"""inspector"""
